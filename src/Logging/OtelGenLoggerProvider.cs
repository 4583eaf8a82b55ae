using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Logging;
using OtelGen.Context;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

namespace OtelGen.Logging;

/// <summary>Options of <see cref="OtelGenLoggingBuilderExtensions.AddOtelGen(ILoggingBuilder, Action{OtelGenLoggingOptions})"/>.</summary>
public sealed class OtelGenLoggingOptions
{
    /// <summary>
    /// Export log records over OTLP (<c>/v1/logs</c>, with the <c>OTEL_EXPORTER_OTLP_LOGS_*</c> settings). Starts as true
    /// when <c>OTEL_LOGS_EXPORTER=otlp</c>.
    /// </summary>
    public bool ExportLogs { get; set; }
}

/// <summary>
/// The logger provider that turns each log call into an OTLP log record on an <see cref="OtlpLogsExporter"/>: body the
/// formatted message, the template's values and the scopes as attributes, the exception as <c>exception.*</c>, the
/// event id, the category as the instrumentation scope, and the ids and flags of OtelGen's current span. The
/// logging thread only builds the record and queues it (never blocks: a full queue drops and counts). Never throws.
/// </summary>
[ProviderAlias("OtelGen")]
internal sealed class OtelGenLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly OtlpLogsExporter _exporter;
    private readonly bool _ownsExporter;
    private IExternalScopeProvider? _scopes;

    internal OtelGenLoggerProvider(OtlpLogsExporter exporter, bool ownsExporter)
    {
        _exporter = exporter;
        _ownsExporter = ownsExporter;
    }

    internal OtlpLogsExporter Exporter => _exporter;

    internal IExternalScopeProvider? Scopes => Volatile.Read(ref _scopes);

    /// <summary>A provider with its own exporter, set up from the environment (defaults: <c>http://localhost:4318/v1/logs</c>).</summary>
    internal static OtelGenLoggerProvider FromEnvironment()
    {
        OtlpLogsExporterOptions options = OtlpLogsExporterOptions.FromEnvironment();
        options.Endpoint ??= new Uri(options.UseGrpc ? "http://localhost:4317" : "http://localhost:4318/v1/logs");
        return new OtelGenLoggerProvider(new OtlpLogsExporter(options), ownsExporter: true);
    }

    public ILogger CreateLogger(string categoryName) => new OtelGenLogger(this, categoryName ?? string.Empty);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => Volatile.Write(ref _scopes, scopeProvider);

    /// <summary>Sends what waits (bounded by the export timeout) and, when it owns the exporter, stops it.</summary>
    public void Dispose()
    {
        try
        {
            if (_ownsExporter)
            {
                _exporter.Dispose();
            }
            else
            {
                _exporter.Flush();
            }
        }
        catch (Exception e)
        {
            OtelGen.Configuration.Diagnostics.Warn("the OTLP log exporter did not stop cleanly: " + e.Message);
        }
    }
}

/// <summary>One category's logger of <see cref="OtelGenLoggerProvider"/>.</summary>
internal sealed class OtelGenLogger : ILogger
{
    /// <summary>Longer bodies and string values are cut to this many characters (a request stays sendable).</summary>
    internal const int MaxStringLength = 32 * 1024;
    private const string OriginalFormat = "{OriginalFormat}";

    private static readonly string[] s_levels = { "Trace", "Debug", "Information", "Warning", "Error", "Critical" };
    private static readonly int[] s_severities = { 1, 5, 9, 13, 17, 21 };
    private static readonly Action<object?, AttributeList> s_addScope = static (scope, attributes) => attributes.AddScope(scope);

    // The attributes of the record being built on this thread (copied into a rented array of the right size).
    [ThreadStatic]
    private static AttributeList? t_attributes;

    private readonly OtelGenLoggerProvider _provider;
    private readonly string _category;

    internal OtelGenLogger(OtelGenLoggerProvider provider, string category)
    {
        _provider = provider;
        _category = category;
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
        _provider.Scopes?.Push(state) ?? NullScope.Instance;

    public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Trace and < LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        OtlpLogsExporter exporter = _provider.Exporter;
        if (exporter.IsFull)
        {
            // It would be dropped: count it without formatting it.
            exporter.CountDropped();
            return;
        }
        long position = -1;
        AttributeList? list = null;
        try
        {
            // The clock and, unless the message can be formatted later (below), the formatter (the app's code) come first;
            // then the record is written in place in its queue slot, which the worker waits for until it is published
            // (below, always).
            long now = OtlpLogRecord.UnixNanos(DateTime.UtcNow);
            bool mayDefer = exception is null && Deferral<TState>.Accepts(formatter);
            string? body = mayDefer ? null : Cut(Format(state, exception, formatter));
            SpanContext context = TraceContext.Current;
            bool inSpan = context.IsValid && !context.IsRemote;
            position = exporter.TryClaim();
            if (position < 0)
            {
                return; // full after all: dropped and counted
            }
            ref OtlpLogRecord record = ref exporter.RecordAt(position);
            record.TimeUnixNano = now;
            record.ObservedTimeUnixNano = now;
            record.SeverityNumber = s_severities[(int)logLevel];
            record.SeverityText = s_levels[(int)logLevel];
            record.Body = body;
            record.BodyRenderer = null;
            record.BodyState = null;
            record.BodyFormatter = null;
            record.Category = _category;
            record.EventId = eventId.Id;
            record.EventName = eventId.Name;
            record.TraceId = inSpan ? context.TraceId : default;
            record.SpanId = inSpan ? context.SpanId : default;
            record.TraceFlags = inSpan ? context.TraceFlags : (byte)0;

            // The attributes go straight into the slot's own array (grown when too small).
            list = t_attributes ??= new AttributeList();
            t_attributes = null; // a logger called from a value's ToString on this thread gets its own list
            list.Attach(exporter.StorageAt(position));
            object? values = null;
            if (state is IReadOnlyList<KeyValuePair<string, object?>> list0)
            {
                values = list0;
                list.AddPairs(list0);
            }
            else if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                list.AddPairs(pairs);
            }
            if (mayDefer)
            {
                if (values is not null && list.AllScalar)
                {
                    // Only numbers and strings, in a state and with a formatter of Microsoft.Extensions.Logging's own: the
                    // text cannot change, so the export thread formats it (the same formatter on the same boxed state).
                    record.BodyState = values;
                    record.BodyFormatter = formatter;
                    record.BodyRenderer = Deferral<TState>.Render;
                }
                else
                {
                    record.Body = Cut(Format(state, exception, formatter));
                }
            }
            IExternalScopeProvider? scopes = _provider.Scopes;
            if (scopes is OtelGenScopeProvider ours)
            {
                // The id scope is the record's own trace id and span id: not asked for.
                ours.ForEachScopeWithoutIds(s_addScope, list);
            }
            else if (scopes is not null)
            {
                scopes.ForEachScope(s_addScope, list);
            }
            if (exception is not null)
            {
                list.AddException(exception);
            }
        }
        catch (Exception e)
        {
            OtelGen.Configuration.Diagnostics.Warn("a log record could not be exported (" + e.GetType().Name + ").");
        }
        finally
        {
            if (position >= 0)
            {
                // Published even when something above threw: the worker must never wait for it forever.
                int count = 0;
                KeyValue[]? attributes = list is null ? exporter.StorageAt(position) : list.Detach(out count);
                exporter.Publish(position, attributes, count);
            }
            if (list is not null)
            {
                t_attributes = list;
            }
        }
    }

    private static string? Format<TState>(TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            return formatter is null ? state?.ToString() : formatter(state, exception);
        }
        catch (Exception)
        {
            // A template the formatter cannot apply (broken braces, a value whose ToString throws): the template itself.
            try
            {
                if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
                {
                    for (int i = values.Count - 1; i >= 0; i--)
                    {
                        if (values[i].Key == OriginalFormat)
                        {
                            return values[i].Value as string;
                        }
                    }
                }
                return state?.ToString();
            }
            catch (Exception)
            {
                return null;
            }
        }
    }

    internal static string? Cut(string? text) => text is { Length: > MaxStringLength } ? text.Substring(0, MaxStringLength) : text;

    /// <summary>
    /// Whether a message of state <typeparamref name="TState"/> may be formatted on the export thread: the state is one of
    /// Microsoft.Extensions.Logging's own (<c>LoggerMessage.Define</c>'s, <c>LogInformation</c>'s) and so is the formatter,
    /// which formats the state's values with the invariant culture and nothing else. Whether the values allow it (only
    /// numbers and strings) is decided per call.
    /// </summary>
    private static class Deferral<TState>
    {
        private static readonly bool s_ownState = typeof(TState).Assembly == typeof(ILogger).Assembly;
        // The last formatter looked at and the answer (one entry: a state type comes with one formatter).
        private static Verdict? s_last;

        /// <summary>Formats a boxed state handed over by <see cref="Log"/>, on the export thread.</summary>
        public static readonly Func<object, Delegate, string?> Render =
            static (box, formatter) => Cut(Format((TState)box, null, (Func<TState, Exception?, string>)formatter));

        public static bool Accepts(Func<TState, Exception?, string> formatter)
        {
            if (!s_ownState || formatter is null)
            {
                return false;
            }
            Verdict? last = Volatile.Read(ref s_last);
            if (last is not null && ReferenceEquals(last.Formatter, formatter))
            {
                return last.Own;
            }
            bool own;
            try
            {
                own = (formatter.Target is { } target ? target.GetType().Assembly : formatter.Method.DeclaringType?.Assembly) == typeof(ILogger).Assembly;
            }
            catch (Exception)
            {
                own = false; // no metadata for it (trimmed): format on the logging thread
            }
            Volatile.Write(ref s_last, new Verdict(formatter, own));
            return own;
        }

        private sealed record Verdict(Delegate Formatter, bool Own);
    }

    /// <summary>
    /// A reusable writer of one record's attributes into an array it is lent (a queue slot's, cleared), which it grows
    /// (a bigger copy) when it is too small, up to 1024 attributes.
    /// </summary>
    private sealed class AttributeList
    {
        private KeyValue[] _items = Array.Empty<KeyValue>();

        public int Count { get; private set; }

        /// <summary>True while every value added since <see cref="Attach"/> is null, a string, a bool or a number.</summary>
        public bool AllScalar { get; private set; } = true;

        /// <summary>Starts writing into <paramref name="storage"/> (null: an array is made at the first attribute).</summary>
        public void Attach(KeyValue[]? storage)
        {
            _items = storage ?? Array.Empty<KeyValue>();
            Count = 0;
            AllScalar = true;
        }

        /// <summary>The array written (the one attached, or its grown copy; null when there was none and nothing was written) and how many were.</summary>
        public KeyValue[]? Detach(out int count)
        {
            count = Count;
            KeyValue[]? items = _items.Length == 0 ? null : _items;
            _items = Array.Empty<KeyValue>();
            Count = 0;
            return items;
        }

        public void AddPairs(IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            int count;
            try
            {
                count = values.Count;
            }
            catch (Exception)
            {
                return;
            }
            for (int i = 0; i < count; i++)
            {
                try
                {
                    KeyValuePair<string, object?> pair = values[i];
                    Add(pair.Key, pair.Value);
                }
                catch (Exception)
                {
                    // one value that cannot be read is left out
                    AllScalar = false;
                }
            }
        }

        public void AddPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            try
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    Add(pair.Key, pair.Value);
                }
            }
            catch (Exception)
            {
                // the pairs read before the failure are kept
            }
        }

        public void AddScope(object? scope)
        {
            switch (scope)
            {
                case null:
                case TraceLogScope: // the ids are the record's own trace id and span id
                    return;
                case IReadOnlyList<KeyValuePair<string, object?>> list:
                    AddPairs(list);
                    return;
                case IEnumerable<KeyValuePair<string, object?>> pairs:
                    AddPairs(pairs);
                    return;
                default:
                    try
                    {
                        Add("scope", scope.ToString());
                    }
                    catch (Exception)
                    {
                        // a scope whose text throws is left out
                    }
                    return;
            }
        }

        public void AddException(Exception exception)
        {
            try
            {
                Add("exception.type", exception.GetType().FullName);
                Add("exception.message", exception.Message);
                Add("exception.stacktrace", exception.ToString());
            }
            catch (Exception)
            {
                // an exception whose Message or ToString throws keeps what was read
            }
        }

        private void Add(string? key, object? value)
        {
            AllScalar &= value is null or string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or double or float or decimal;
            if (string.IsNullOrEmpty(key) || value is null || key == OriginalFormat)
            {
                return;
            }
            AttributeValue converted;
            switch (value)
            {
                case string s: converted = AttributeValue.Of(Cut(s)); break;
                case bool b: converted = AttributeValue.Of(b); break;
                case int n: converted = AttributeValue.Of((long)n); break;
                case long n: converted = AttributeValue.Of(n); break;
                case short n: converted = AttributeValue.Of((long)n); break;
                case byte n: converted = AttributeValue.Of((long)n); break;
                case sbyte n: converted = AttributeValue.Of((long)n); break;
                case ushort n: converted = AttributeValue.Of((long)n); break;
                case uint n: converted = AttributeValue.Of((long)n); break;
                case ulong n when n <= long.MaxValue: converted = AttributeValue.Of((long)n); break;
                case double d: converted = AttributeValue.Of(d); break;
                case float f: converted = AttributeValue.Of((double)f); break;
                case decimal m: converted = AttributeValue.Of((double)m); break;
                case string[] a: converted = AttributeValue.Of(a); break;
                case long[] a: converted = AttributeValue.Of(a); break;
                case bool[] a: converted = AttributeValue.Of(a); break;
                case double[] a: converted = AttributeValue.Of(a); break;
                case int[] a: converted = AttributeValue.Of(Array.ConvertAll(a, static x => (long)x)); break;
                default:
                    string? text;
                    try
                    {
                        text = value.ToString();
                    }
                    catch (Exception)
                    {
                        return;
                    }
                    if (text is null)
                    {
                        return;
                    }
                    converted = AttributeValue.Of(Cut(text));
                    break;
            }
            if (Count == _items.Length)
            {
                if (Count >= 1024)
                {
                    return; // a record keeps at most 1024 attributes
                }
                Array.Resize(ref _items, Math.Max(8, Count * 2));
            }
            _items[Count++] = new KeyValue(key, converted);
        }
    }

    private sealed class NullScope : IDisposable
    {
        public static readonly NullScope Instance = new();

        public void Dispose()
        {
        }
    }
}
