using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Folds;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Folds;

public class RingSnapshotTests
{
    private static readonly SpanDescriptor Request = new("GET /items/{id}", ActivityKind.Server, new KeyValue[] { new("http.route", "/items/{id}"), new("http.request.method", "GET") });
    private static readonly SpanDescriptor Load = new("ItemStore.Load", ActivityKind.Client, new KeyValue[] { new("db.system.name", "sqlite") });

    [Fact]
    public void Spans_recorded_by_the_runtime_fold_from_a_ring_snapshot()
    {
        TraceId traceId;
        using (SpanScope request = SpanScope.Start(Request))
        {
            traceId = request.Context.TraceId;
            using (SpanScope load = SpanScope.Start(Load))
            {
                load.SetAttribute("db.collection.name", "item");
            }
            using (SpanScope again = SpanScope.Start(Load))
            {
                again.SetStatus(SpanStatusCode.Error, "locked");
            }
        }

        // The ring is process-wide: keep only this test's trace.
        List<SpanRecord> mine = Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).ToList();
        TraceTree trace = TraceForest.Build(mine).Traces.Single();

        Assert.False(trace.Root.IsSynthetic);
        Assert.Equal("GET /items/{id}", trace.Root.Name);
        Assert.Equal(new[] { "ItemStore.Load", "ItemStore.Load" }, trace.Root.Children.Select(c => c.Name));
        Assert.True(trace.Root.Children[0].StartUnixNano <= trace.Root.Children[1].StartUnixNano);
        string svg = SvgWaterfall.Render(trace);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(svg, "<rect class=\"span ").Count);
        Assert.Contains("class=\"span client error\"", svg, System.StringComparison.Ordinal);
        Assert.Contains("db.collection.name = item", svg, System.StringComparison.Ordinal);
        RouteStats stats = RouteAggregates.Of(TraceForest.Build(mine)).Get("/items/{id}")!;
        Assert.Equal(1, stats.Count);
    }
}
