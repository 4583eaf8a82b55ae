using System;
using System.Collections.Generic;
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
    public void Counts_every_server_span_as_it_ends_and_not_its_children()
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
    public void Spans_other_than_server_spans_are_not_counted()
    {
        // Only requests: a synchronous root span never takes the aggregate's lock (nor allocates there).
        LiveRouteAggregates live = LiveRouteAggregates.Start();
        string name = "live.root." + Guid.NewGuid().ToString("N");
        using (SpanScope root = SpanScope.Start(new SpanDescriptor(name, SpanKind.Internal)))
        {
        }
        using (SpanScope consumer = SpanScope.Start(new SpanDescriptor(name, SpanKind.Consumer)))
        {
        }
        Assert.DoesNotContain(live.Summaries(), s => s.Route == name);
    }

    [Fact]
    public void Start_returns_the_one_live_aggregate()
    {
        Assert.Same(LiveRouteAggregates.Start(), LiveRouteAggregates.Start());
    }
}

public sealed class RouteAggregatesBoundTests
{
    [Fact]
    public void Routes_past_the_bound_are_counted_under_other()
    {
        var aggregates = new RouteAggregates { MaxRoutes = 3 };
        for (int i = 0; i < 10; i++)
        {
            var span = new SpanRecord { Name = "order " + i, Kind = SpanKind.Internal, StartUnixNano = 0, EndUnixNano = 1_000_000 };
            aggregates.Add(span);
        }
        aggregates.Add(new SpanRecord { Name = "order 1", Kind = SpanKind.Internal, EndUnixNano = 1_000_000 });

        Assert.Equal(new[] { "(other)", "order 0", "order 1", "order 2" }, aggregates.Routes.Select(r => r.Route).ToArray());
        // A known route keeps counting as itself; the seven unknown ones share one entry.
        Assert.Equal(2, aggregates.Get("order 1")!.Count);
        Assert.Equal(7, aggregates.Get(RouteAggregates.OtherRoute)!.Count);
        Assert.Null(aggregates.Get(RouteAggregates.OtherRoute)!.Method);
    }

    [Fact]
    public void The_live_aggregate_keeps_at_most_its_bound_of_routes()
    {
        // Routes that are raw paths (one per id) must not grow the table without end. A private instance:
        // filling the process-wide one would send other tests' routes to (other).
        var live = new LiveRouteAggregates();
        for (int i = 0; i <= LiveRouteAggregates.MaxRoutes; i++)
        {
            var server = new SpanRecord { Name = "GET /orders/" + i, Kind = SpanKind.Server, EndUnixNano = 1_000 };
            server.SetAttribute("http.route", AttributeValue.Of("/orders/" + i));
            live.Add(server);
        }
        List<RouteSummary> routes = live.Summaries();
        Assert.Equal(LiveRouteAggregates.MaxRoutes + 1, routes.Count);
        Assert.Equal(1, Assert.Single(routes, r => r.Route == RouteAggregates.OtherRoute).Requests);
    }
}
