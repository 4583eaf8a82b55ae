using System;
using System.Linq;
using OtelGen.Folds;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Folds;

public sealed class LiveRouteAggregatesTests
{
    private static readonly SpanDescriptor Child = new("live.child", SpanKind.Internal);

    public LiveRouteAggregatesTests() => Tracing.Enable();

    private static void Request(string route, int status, bool withChild = true)
    {
        HttpServerSpan server = HttpServerSpan.Start(new HttpServerRequest { Method = "GET", Route = route, Path = "/x" });
        if (withChild)
        {
            using SpanScope child = SpanScope.Start(Child);
        }
        server.SetStatusCode(status);
        server.End();
    }

    [Fact]
    public void Counts_every_entry_span_as_it_ends_and_not_its_children()
    {
        string route = "/live/" + Guid.NewGuid().ToString("N");
        LiveRouteAggregates live = LiveRouteAggregates.Start();
        for (int i = 0; i < 7; i++)
        {
            Request(route, 200);
        }
        Request(route, 503);
        Request(route, 404);

        RouteSummary summary = Assert.Single(live.Summaries(), s => s.Route == route);
        Assert.Equal("GET", summary.Method);
        Assert.Equal(9, summary.Requests);
        // SERVER status policy: only the 5xx is an error.
        Assert.Equal(1, summary.Errors);
        Assert.True(summary.P50 > 0 && summary.P50 <= summary.P95 && summary.P95 <= summary.P99, $"{summary.P50} {summary.P95} {summary.P99}");
        Assert.DoesNotContain(live.Summaries(), s => s.Route == "live.child");
    }

    [Fact]
    public void Counts_spans_the_ring_no_longer_holds()
    {
        // The numbers do not depend on reading the ring: more requests than it holds are all counted.
        string route = "/live/" + Guid.NewGuid().ToString("N");
        LiveRouteAggregates live = LiveRouteAggregates.Start();
        int requests = Tracing.Ring.Capacity + 100;
        for (int i = 0; i < requests; i++)
        {
            Request(route, 200, withChild: false);
        }
        Assert.Equal(requests, live.Summaries().Single(s => s.Route == route).Requests);
    }

    [Fact]
    public void Start_returns_the_one_live_aggregate()
    {
        Assert.Same(LiveRouteAggregates.Start(), LiveRouteAggregates.Start());
    }
}
