using System;
using System.Collections;
using System.Collections.Generic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtelGen.Context;

namespace OtelGen.Samples.MapReduce;

/// <summary>
/// Log correlation for Microsoft.Extensions.Logging: every log line carries the current span's
/// <c>trace_id</c> and <c>span_id</c> as an outermost scope. It is an external scope provider, so it works
/// with every provider that shows scopes (console with IncludeScopes, JSON console, OpenTelemetry).
/// </summary>
public static class TraceLogging
{
    /// <summary>Adds the trace_id/span_id scope to every log line written through this builder's factory.</summary>
    public static ILoggingBuilder AddTraceCorrelation(this ILoggingBuilder builder)
    {
        // LoggerFactory takes its scope provider from the container, and hands it to every provider.
        builder.Services.AddSingleton<IExternalScopeProvider>(new TraceScopeProvider(new LoggerExternalScopeProvider()));
        return builder;
    }

    private sealed class TraceScopeProvider : IExternalScopeProvider
    {
        private readonly IExternalScopeProvider _inner;

        public TraceScopeProvider(IExternalScopeProvider inner) => _inner = inner;

        public void ForEachScope<TState>(Action<object?, TState> callback, TState state)
        {
            SpanContext context = TraceContext.Current;
            if (context.IsValid)
            {
                callback(new TraceScope(context), state);
            }
            _inner.ForEachScope(callback, state);
        }

        public IDisposable Push(object? state) => _inner.Push(state);
    }

    /// <summary>The scope: structured (trace_id, span_id) for structured providers, "trace_id=... span_id=..." as text.</summary>
    private sealed class TraceScope : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly SpanContext _context;

        public TraceScope(SpanContext context) => _context = context;

        public int Count => 2;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("trace_id", _context.TraceId.ToHexString()),
            1 => new("span_id", _context.SpanId.ToHexString()),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
            yield return this[1];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"trace_id={_context.TraceId.ToHexString()} span_id={_context.SpanId.ToHexString()}";
    }

    /// <summary>A console logger factory with trace correlation, one line per entry.</summary>
    public static ILoggerFactory CreateConsoleFactory() => LoggerFactory.Create(builder => builder
        .AddTraceCorrelation()
        .AddSimpleConsole(options =>
        {
            options.IncludeScopes = true;
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        })
        .SetMinimumLevel(LogLevel.Information));
}
