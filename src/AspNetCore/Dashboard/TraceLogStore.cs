using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Logging;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>One kept log line: its trace and span, when it was written, its level's name and its message.</summary>
internal readonly record struct TraceLogLine(TraceId TraceId, SpanId SpanId, long TimeUnixNano, string Severity, string Body);

/// <summary>
/// The dashboard's log lines: a logger provider that keeps the last <see cref="Capacity"/> lines written while an
/// OtelGen span is current (Information and above), each with that span's trace and span id, so a trace's page can
/// show them under its waterfall. A ring of slots claimed with one <see cref="Interlocked.Increment(ref long)"/>:
/// the newest line overwrites the oldest, and a reader skips a slot being written. Nothing is kept outside a trace;
/// keeping a line allocates only its message. Never throws into the caller's logging.
/// </summary>
[ProviderAlias("OtelGenDashboard")]
internal sealed class TraceLogStore : ILoggerProvider
{
    /// <summary>How many lines are kept (the newest).</summary>
    internal const int Capacity = 4096;

    /// <summary>Longer messages are cut to this many characters.</summary>
    internal const int MaxBodyLength = 4096;

    private static readonly string[] s_levels = { "Trace", "Debug", "Information", "Warning", "Error", "Critical" };

    private readonly Slot[] _slots = new Slot[Capacity];
    private readonly Logger _logger;
    private long _written;

    public TraceLogStore() => _logger = new Logger(this);

    /// <summary>Lines kept since the start (the ring holds the last <see cref="Capacity"/> of them).</summary>
    internal long Written => Volatile.Read(ref _written);

    public ILogger CreateLogger(string categoryName) => _logger;

    public void Dispose()
    {
    }

    /// <summary>Keeps one line of the current span (called by the logger with the formatted message).</summary>
    internal void Add(in SpanContext context, LogLevel level, string message)
    {
        long sequence = Interlocked.Increment(ref _written);
        ref Slot slot = ref _slots[(int)((sequence - 1) % Capacity)];
        // Readers seeing 0 (or a changed sequence) skip the slot: it is being written.
        Volatile.Write(ref slot.Sequence, 0);
        slot.TraceId = context.TraceId;
        slot.SpanId = context.SpanId;
        slot.TimeUnixNano = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        slot.Level = level;
        slot.Body = message.Length > MaxBodyLength ? message.Substring(0, MaxBodyLength) : message;
        Volatile.Write(ref slot.Sequence, sequence);
    }

    /// <summary>The kept lines of one trace, oldest first.</summary>
    internal List<TraceLogLine> LinesOf(TraceId traceId)
    {
        var lines = new List<TraceLogLine>();
        long written = Written;
        long first = Math.Max(1, written - Capacity + 1);
        for (long sequence = first; sequence <= written; sequence++)
        {
            ref Slot slot = ref _slots[(int)((sequence - 1) % Capacity)];
            long before = Volatile.Read(ref slot.Sequence);
            if (before != sequence || slot.TraceId != traceId)
            {
                continue;
            }
            var line = new TraceLogLine(slot.TraceId, slot.SpanId, slot.TimeUnixNano, LevelName(slot.Level), slot.Body ?? string.Empty);
            if (Volatile.Read(ref slot.Sequence) != before || line.TraceId != traceId)
            {
                continue; // overwritten while read
            }
            lines.Add(line);
        }
        // Ring order is the order the slots were claimed, nearly the clock's: a stable insertion sort by time (claim order breaks ties).
        for (int i = 1; i < lines.Count; i++)
        {
            TraceLogLine line = lines[i];
            int j = i - 1;
            while (j >= 0 && lines[j].TimeUnixNano > line.TimeUnixNano)
            {
                lines[j + 1] = lines[j];
                j--;
            }
            lines[j + 1] = line;
        }
        return lines;
    }

    private static string LevelName(LogLevel level) => (uint)level < (uint)s_levels.Length ? s_levels[(int)level] : level.ToString();

    private struct Slot
    {
        public long Sequence;
        public TraceId TraceId;
        public SpanId SpanId;
        public long TimeUnixNano;
        public LogLevel Level;
        public string? Body;
    }

    /// <summary>The one logger of every category (the category is not kept).</summary>
    private sealed class Logger : ILogger
    {
        private readonly TraceLogStore _store;

        internal Logger(TraceLogStore store) => _store = store;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Information and < LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                if (!IsEnabled(logLevel))
                {
                    return;
                }
                SpanContext context = TraceContext.Current;
                if (!context.IsValid || context.IsRemote)
                {
                    return;
                }
                string? message = formatter is null ? state?.ToString() : formatter(state, exception);
                _store.Add(context, logLevel, message ?? string.Empty);
            }
            catch (Exception)
            {
                // A formatter or value that throws: the line is not kept; the app's logging goes on.
            }
        }
    }
}
