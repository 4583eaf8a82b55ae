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
        AttributeList? list = null;
        try
        {
            long now = OtlpLogRecord.UnixNanos(DateTime.UtcNow);
            var record = new OtlpLogRecord
            {
                TimeUnixNano = now,
                ObservedTimeUnixNano = now,
                SeverityNumber = s_severities[(int)logLevel],
                SeverityText = s_levels[(int)logLevel],
                Body = Cut(Format(state, exception, formatter)),
                Category = _category,
                EventId = eventId.Id,
                EventName = eventId.Name,
            };
            SpanContext context = TraceContext.Current;
            if (context.IsValid && !context.IsRemote)
            {
                record.TraceId = context.TraceId;
                record.SpanId = context.SpanId;
                record.TraceFlags = context.TraceFlags;
            }
            list = t_attributes ??= new AttributeList();
            t_attributes = null; // a logger called from a value's ToString on this thread gets its own list
            list.Clear();
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                list.AddPairs(values);
            }
            else if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                list.AddPairs(pairs);
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
            exporter.TryEnqueue(record, list.Items);
        }
        catch (Exception e)
        {
            OtelGen.Configuration.Diagnostics.Warn("a log record could not be exported (" + e.GetType().Name + ").");
        }
        finally
        {
            if (list is not null)
            {
                list.Clear();
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

    /// <summary>A reusable growing list of attributes for one record.</summary>
    private sealed class AttributeList
    {
        private KeyValue[] _items = new KeyValue[16];

        public int Count { get; private set; }

        public void Clear()
        {
            Array.Clear(_items, 0, Count);
            Count = 0;
        }

        public ReadOnlySpan<KeyValue> Items => _items.AsSpan(0, Count);

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
                Array.Resize(ref _items, Count * 2);
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
