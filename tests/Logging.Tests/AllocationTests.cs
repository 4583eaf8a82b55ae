using System;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.Logging.Tests;

/// <summary>
/// What the scope provider costs per log line, in bytes allocated on the logging thread
/// (GC.GetAllocatedBytesForCurrentThread is exact). The numbers are the ones docs/logging.md gives.
/// </summary>
public sealed class AllocationTests
{
    private const ActivityTrackingOptions Host = ActivityTrackingOptions.SpanId | ActivityTrackingOptions.TraceId | ActivityTrackingOptions.ParentId;
    private const int Lines = 1000;

    private static readonly Action<ILogger, int, Exception?> s_line =
        LoggerMessage.Define<int>(LogLevel.Information, new EventId(1, "Line"), "line {Number}");

    private readonly ITestOutputHelper _output;

    public AllocationTests(ITestOutputHelper output) => _output = output;

    /// <summary>A provider that reads every scope as a formatter does (text and pairs) and keeps nothing.</summary>
    private sealed class ReadingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public int Scopes;

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        internal void Read() => _scopes?.ForEachScope(static (scope, self) =>
        {
            self.Scopes++;
            _ = scope?.ToString();
            if (scope is System.Collections.Generic.IReadOnlyList<System.Collections.Generic.KeyValuePair<string, object?>> list)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    _ = list[i];
                }
            }
        }, this);

        private sealed class Logger : ILogger
        {
            private readonly ReadingProvider _provider;

            public Logger(ReadingProvider provider) => _provider = provider;

            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                _provider.Read();
        }
    }

    private static long PerLine(Action line)
    {
        line(); // warm: the scope for this span is made (and its text) on the first line
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Lines; i++)
        {
            line();
        }
        return (GC.GetAllocatedBytesForCurrentThread() - before) / Lines;
    }

    [Fact]
    public void A_log_line_in_the_same_span_as_the_last_allocates_nothing()
    {
        var provider = new ReadingProvider();
        using ILoggerFactory factory = LoggerFactory.Create(logging => logging.AddOtelGen().AddProvider(provider));
        ILogger log = factory.CreateLogger("test");
        long perLine = -1;
        Work.Around(() => perLine = PerLine(() => s_line(log, 7, null)));

        Assert.Equal(0, perLine);
        Assert.Equal(Lines + 1, provider.Scopes);
        _output.WriteLine($"log line in a warm span, host options: {perLine} B");
    }

    [Fact]
    public void The_first_line_of_a_span_allocates_one_scope_and_its_text_when_read()
    {
        var scopes = new OtelGenScopeProvider(Options.Create(new LoggerFactoryOptions { ActivityTrackingOptions = Host }));
        long scopeOnly = 0;
        long withText = 0;
        Work.Around(() => { }); // warm the span path and the provider's code
        Measure(); // and the measuring itself
        for (int i = 0; i < 3; i++)
        {
            Measure();
        }

        void Measure()
        {
            Work.Around(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                scopes.ForEachScope(static (_, _) => { }, 0);
                scopeOnly = GC.GetAllocatedBytesForCurrentThread() - before;
            });
            Work.Around(() =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                scopes.ForEachScope(static (scope, _) => scope?.ToString(), 0);
                withText = GC.GetAllocatedBytesForCurrentThread() - before;
            });
        }

        _output.WriteLine($"first line of a span: scope {scopeOnly} B; read as text (ids and text made) {withText} B");
        // The scope object (x64): header 16, TraceId 16, two SpanIds 16, six references 48, fields and count 8,
        // two bytes, padded: 112 bytes. Read as a formatter reads it, the id strings are made (16, 32 and 16 hex
        // characters: 56 + 88 + 56 bytes) and the 92-character text (208 bytes): 520 bytes, once per span and thread.
        Assert.Equal(112, scopeOnly);
        Assert.Equal(520, withText);
    }

    [Fact]
    public void Tags_cost_a_copy_of_the_spans_attributes_per_line_and_baggage_nothing_once_made()
    {
        var tags = new OtelGenScopeProvider(Options.Create(new LoggerFactoryOptions { ActivityTrackingOptions = Host | ActivityTrackingOptions.Tags }));
        var baggage = new OtelGenScopeProvider(Options.Create(new LoggerFactoryOptions { ActivityTrackingOptions = Host | ActivityTrackingOptions.Baggage }));
        long withTags = -1;
        long withBaggage = -1;
        SpanContext tagged = default;
        Work.TaggedAround(() =>
        {
            tagged = TraceContext.Current;
            withTags = PerLine(() => tags.ForEachScope(static (_, _) => { }, 0));
        }, 42);
        using (TraceContext.SetBaggage("tenant", "acme"))
        {
            Work.Around(() => withBaggage = PerLine(() => baggage.ForEachScope(static (_, _) => { }, 0)));
        }

        // The span's attributes: order.id and the site's constant code.function.name.
        int attributes = Recorded.Span(tagged).TotalAttributeCount;
        _output.WriteLine($"per line in a warm span: with Tags ({attributes} attributes) {withTags} B, with Baggage {withBaggage} B");
        // Tags: the scope (32 B) and a copy of the attributes (an array: 24 B and a 32-byte KeyValue each).
        Assert.Equal(32 + 24 + 32 * attributes, withTags);
        Assert.Equal(0, withBaggage);
    }

    [Fact]
    public void Without_a_span_or_Activity_a_line_allocates_nothing()
    {
        var provider = new ReadingProvider();
        using ILoggerFactory factory = LoggerFactory.Create(logging => logging.AddOtelGen().AddProvider(provider));
        ILogger log = factory.CreateLogger("test");
        Assert.Null(Activity.Current);
        Assert.False(TraceContext.Current.IsValid);

        Assert.Equal(0, PerLine(() => s_line(log, 7, null)));
    }
}
