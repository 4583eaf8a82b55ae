using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Folds;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Folds;

public sealed class LiveRouteAggregatesTests
{
    private static readonly SpanDescriptor Child = new("live.child", ActivityKind.Internal);

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
        // Only requests: a synchronous root span never reaches the aggregate.
        LiveRouteAggregates live = LiveRouteAggregates.Start();
        string name = "live.root." + Guid.NewGuid().ToString("N");
        using (SpanScope root = SpanScope.Start(new SpanDescriptor(name, ActivityKind.Internal)))
        {
        }
        using (SpanScope consumer = SpanScope.Start(new SpanDescriptor(name, ActivityKind.Consumer)))
        {
        }
        Assert.DoesNotContain(live.Summaries(), s => s.Route == name);
    }

    private static SpanRecord ServerSpan(string route, long durationNanos, bool error)
    {
        var span = new SpanRecord { Name = "GET " + route, Kind = ActivityKind.Server, StartUnixNano = 1_000, EndUnixNano = 1_000 + durationNanos };
        span.SetAttribute("http.request.method", AttributeValue.Of("GET"));
        span.SetAttribute("http.route", AttributeValue.Of(route));
        span.StatusCode = error ? SpanStatusCode.Error : SpanStatusCode.Unset;
        return span;
    }

    [Fact]
    public void Threads_counting_while_a_reader_reads_lose_nothing()
    {
        // Four writers, each past its buffer several times (so each also folds in itself), and a reader
        // that folds in their half-filled buffers while they wait halfway: every request is counted once.
        var live = new LiveRouteAggregates();
        const int perThread = 5 * LiveRouteAggregates.BufferSize + 17;
        SpanRecord[] spans = { ServerSpan("/a", 2_000_000, error: false), ServerSpan("/b", 9_000_000, error: false), ServerSpan("/b", 9_000_000, error: true) };
        int reads = 0;
        using var readerStarted = new System.Threading.ManualResetEventSlim();
        using var done = new System.Threading.CountdownEvent(4);
        var writers = Enumerable.Range(0, 4).Select(_ => new System.Threading.Thread(() =>
        {
            readerStarted.Wait();
            for (int i = 0; i < perThread; i++)
            {
                if (i == perThread / 2)
                {
                    System.Threading.SpinWait.SpinUntil(() => System.Threading.Volatile.Read(ref reads) >= 2);
                }
                live.Add(spans[i % 3]);
            }
            done.Signal();
        })).ToList();
        writers.ForEach(t => t.Start());
        while (!done.IsSet)
        {
            Assert.All(live.Summaries(), s => Assert.True(s.Requests <= 4 * perThread));
            System.Threading.Interlocked.Increment(ref reads);
            readerStarted.Set();
        }
        writers.ForEach(t => t.Join());

        List<RouteSummary> routes = live.Summaries();
        int perRoute = perThread / 3;
        Assert.Equal(4 * (perRoute + (perThread % 3 > 0 ? 1 : 0)), routes.Single(r => r.Route == "/a").Requests);
        RouteSummary b = routes.Single(r => r.Route == "/b");
        Assert.Equal(4 * (perThread - perRoute - (perThread % 3 > 0 ? 1 : 0)), b.Requests);
        Assert.Equal(4 * (perRoute + (perThread % 3 > 2 ? 1 : 0)), b.Errors);
        Assert.InRange(b.P50, 0.0085, 0.0095);
    }

    [Fact]
    public void An_ended_threads_requests_are_counted_and_its_buffer_then_dropped()
    {
        var live = new LiveRouteAggregates();
        var thread = new System.Threading.Thread(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                live.Add(ServerSpan("/ended", 1_000_000, error: false));
            }
        });
        thread.Start();
        thread.Join();
        Assert.Equal(1, live.BufferCount);

        Assert.Equal(10, live.Summaries().Single(r => r.Route == "/ended").Requests);
        Assert.Equal(0, live.BufferCount);
        Assert.Equal(10, live.Summaries().Single(r => r.Route == "/ended").Requests);
    }

    [Fact]
    public void Buffers_of_ended_threads_go_when_a_new_thread_comes_even_if_nobody_reads()
    {
        // A server whose thread pool retires and makes threads, and no dashboard open: the buffers must not
        // pile up, and no request may be lost with them.
        var live = new LiveRouteAggregates();
        for (int t = 0; t < 5; t++)
        {
            var thread = new System.Threading.Thread(() => live.Add(ServerSpan("/churn", 1_000_000, error: false)));
            thread.Start();
            thread.Join();
            Assert.Equal(1, live.BufferCount);
        }
        Assert.Equal(5, live.Summaries().Single(r => r.Route == "/churn").Requests);
    }

    [Fact]
    public void Counting_a_request_allocates_nothing_once_its_thread_and_route_are_known()
    {
        var live = new LiveRouteAggregates();
        SpanRecord span = ServerSpan("/alloc", 3_000_000, error: false);
        for (int i = 0; i < 2 * LiveRouteAggregates.BufferSize; i++)
        {
            live.Add(span);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 4 * LiveRouteAggregates.BufferSize; i++)
        {
            live.Add(span); // four times past a full buffer: its folds under the lock included
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(6 * LiveRouteAggregates.BufferSize, live.Summaries().Single(r => r.Route == "/alloc").Requests);
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
            var span = new SpanRecord { Name = "order " + i, Kind = ActivityKind.Internal, StartUnixNano = 0, EndUnixNano = 1_000_000 };
            aggregates.Add(span);
        }
        aggregates.Add(new SpanRecord { Name = "order 1", Kind = ActivityKind.Internal, EndUnixNano = 1_000_000 });

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
            var server = new SpanRecord { Name = "GET /orders/" + i, Kind = ActivityKind.Server, EndUnixNano = 1_000 };
            server.SetAttribute("http.route", AttributeValue.Of("/orders/" + i));
            live.Add(server);
        }
        List<RouteSummary> routes = live.Summaries();
        Assert.Equal(LiveRouteAggregates.MaxRoutes + 1, routes.Count);
        Assert.Equal(1, Assert.Single(routes, r => r.Route == RouteAggregates.OtherRoute).Requests);
    }
}
