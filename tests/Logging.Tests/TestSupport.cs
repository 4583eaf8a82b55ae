using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

// Console.Out, ActivityListeners and the span ring are process-wide: these tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace OtelGen.Logging.Tests;

/// <summary>One scope as a provider saw it: its text, and its key/value pairs when it is structured.</summary>
internal sealed record SeenScope(string? Text, IReadOnlyList<KeyValuePair<string, object?>>? Items, Type? Type)
{
    public bool Has(string key) => Items?.Any(i => i.Key == key) == true;

    public object? this[string key] => Items!.Single(i => i.Key == key).Value;

    public string[] Keys => Items?.Select(i => i.Key).ToArray() ?? Array.Empty<string>();
}

/// <summary>One log line: its message and the scopes the scope provider gave for it, outermost first.</summary>
internal sealed record Seen(string Message, IReadOnlyList<SeenScope> Scopes)
{
    /// <summary>The trace id scope (the one with SpanId or TraceId), or null.</summary>
    public SeenScope? Ids => Scopes.FirstOrDefault(s => s.Has("SpanId") || s.Has("TraceId") || s.Has("ParentId"));
}

/// <summary>
/// A real provider that takes its scopes from the factory (<see cref="ISupportExternalScope"/>), as the console,
/// the JSON console and OpenTelemetry's do, and keeps what it was given, read the way formatters read it.
/// </summary>
internal sealed class CapturingProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider? _scopes;
    private readonly List<Seen> _seen = new();

    public IReadOnlyList<Seen> Seen
    {
        get
        {
            lock (_seen)
            {
                return _seen.ToList();
            }
        }
    }

    public Seen Single(string message) => Assert.Single(Seen, s => s.Message == message);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger : ILogger
    {
        private readonly CapturingProvider _provider;

        public Logger(CapturingProvider provider) => _provider = provider;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<SeenScope>();
            _provider._scopes?.ForEachScope(static (scope, list) =>
            {
                // As formatters do: the text first (a scope whose ToString throws fails here), then the pairs.
                string? text = scope?.ToString();
                var items = scope is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToList() : null;
                list.Add(new SeenScope(text, items, scope?.GetType()));
            }, scopes);
            lock (_provider._seen)
            {
                _provider._seen.Add(new Seen(formatter(state, exception), scopes));
            }
        }
    }
}

/// <summary>Traced code that logs: the generator turns each call into a span.</summary>
internal static class Work
{
    /// <summary>Logs <paramref name="message"/> inside its span; returns the span's context.</summary>
    [Traced]
    public static SpanContext Log(ILogger log, string message)
    {
        log.LogInformation(message);
        return TraceContext.Current;
    }

    /// <summary>Logs, calls <see cref="Log"/> (a child span that logs), logs again.</summary>
    [Traced]
    public static (SpanContext Outer, SpanContext Inner) Nested(ILogger log)
    {
        log.LogInformation("outer before");
        SpanContext inner = Log(log, "inner");
        log.LogInformation("outer after");
        return (TraceContext.Current, inner);
    }

    /// <summary>Logs with the <c>order.id</c> attribute on its span.</summary>
    [Traced]
    public static SpanContext Tagged(ILogger log, [Tag("order.id")] long orderId)
    {
        log.LogInformation("tagged");
        return TraceContext.Current;
    }

    /// <summary>Logs after an await, and in a Task.Run the span forks.</summary>
    [Traced]
    public static async Task<SpanContext> AfterAwait(ILogger log)
    {
        await Task.Yield();
        log.LogInformation("after await");
        await Task.Run(() => log.LogInformation("in Task.Run"));
        return TraceContext.Current;
    }

    /// <summary>Logs, starts a library Activity and logs inside it, stops it and logs again.</summary>
    [Traced]
    public static (SpanContext Span, Activity? Library) WithLibraryActivity(ILogger log, ActivitySource source)
    {
        log.LogInformation("span before");
        Activity? library = source.StartActivity("library.call");
        log.LogInformation("library");
        library?.Stop();
        log.LogInformation("span after");
        return (TraceContext.Current, library);
    }

    /// <summary>Runs <paramref name="body"/> inside a span with the <c>order.id</c> attribute.</summary>
    [Traced]
    public static void TaggedAround(Action body, [Tag("order.id")] long orderId) => body();

    /// <summary>Runs <paramref name="body"/> inside a span.</summary>
    [Traced]
    public static SpanContext Around(Action body)
    {
        body();
        return TraceContext.Current;
    }
}

internal static class Recorded
{
    /// <summary>The recorded span with this context's ids.</summary>
    public static SpanRecord Span(SpanContext context)
    {
        Assert.True(context.IsValid, "the [Traced] method ran without a span (was the generator given to the compiler?)");
        return Assert.Single(Tracing.Ring.Snapshot(), s => s.TraceId == context.TraceId && s.SpanId == context.SpanId);
    }
}
