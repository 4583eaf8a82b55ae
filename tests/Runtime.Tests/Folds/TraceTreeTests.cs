using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Folds;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.Folds.SampleSpans;

namespace OtelGen.Runtime.Tests.Folds;

public class TraceTreeTests
{
    [Fact]
    public void Groups_by_trace_and_orders_children_by_start_whatever_the_input_order()
    {
        List<SpanRecord> spans = WebRequest();
        spans.Add(Span(Trace2, 0x99, 0, "other trace root", -5, 1));
        spans.Reverse();

        TraceForest forest = TraceForest.Build(spans);

        Assert.Equal(2, forest.Traces.Count);
        Assert.Equal(Trace2, forest.Traces[0].TraceId); // starts first
        TraceTree trace = forest.Find(Trace1)!;
        Assert.False(trace.Root.IsSynthetic);
        Assert.Equal("GET /posts/{id}", trace.Root.Name);
        Assert.Equal(9, trace.SpanCount);
        Assert.Equal(0, trace.OrphanCount);
        Assert.Equal(
            new[] { "PostService.Load", "Render <script>alert(1)</script> & \"quotes\"", "ThumbnailJob", "cache.get" },
            trace.Root.Children.Select(c => c.Name));
        Assert.Equal(
            new[] { "GET /posts/{id}", "PostService.Load", "SELECT blog_post", "SELECT comment", "Render <script>alert(1)</script> & \"quotes\"", "ThumbnailJob", "job.queue_wait", "job.park", "cache.get" },
            trace.Nodes.Select(n => n.Name));
        Assert.Equal(new[] { 0, 1, 2, 2, 1, 1, 2, 2, 1 }, trace.Nodes.Select(n => n.Depth));
        Assert.All(trace.Nodes.Skip(1), n => Assert.Contains(n, n.Parent!.Children));
    }

    [Fact]
    public void Orphans_hang_under_a_synthetic_root_and_are_never_dropped()
    {
        List<SpanRecord> spans = WebRequest();
        spans.RemoveAt(1); // PostService.Load evicted: its two db children lose their parent
        TraceTree trace = TraceForest.Build(spans).Traces.Single();

        Assert.True(trace.Root.IsSynthetic);
        Assert.Equal(8, trace.SpanCount);
        Assert.Equal(2, trace.OrphanCount);
        Assert.Equal(new[] { "GET /posts/{id}", "SELECT blog_post", "SELECT comment" }, trace.Root.Children.Select(c => c.Name));
        Assert.True(trace.Root.Children[1].IsOrphan);
        Assert.False(trace.Root.Children[0].IsOrphan);
        Assert.Equal(T0, trace.StartUnixNano);
        Assert.Equal(T0 + (long)(48.5 * Ms), trace.EndUnixNano);
    }

    [Fact]
    public void A_remote_parent_that_is_absent_makes_a_root_not_an_orphan()
    {
        var server = Span(Trace1, 0x20, 0x77, "GET /", 0, 10, ActivityKind.Server, remoteParent: true);
        var child = Span(Trace1, 0x21, 0x20, "work", 1, 2);
        TraceTree trace = TraceForest.Build(new List<SpanRecord> { child, server }).Traces.Single();
        Assert.Same(server, trace.Root.Span);
        Assert.Equal(0, trace.OrphanCount);
    }

    [Fact]
    public void Several_roots_of_one_trace_share_a_synthetic_root()
    {
        var a = Span(Trace1, 0x1, 0, "a", 5, 6);
        var b = Span(Trace1, 0x2, 0, "b", 0, 1);
        TraceTree trace = TraceForest.Build(new List<SpanRecord> { a, b }).Traces.Single();
        Assert.True(trace.Root.IsSynthetic);
        Assert.Equal(new[] { "b", "a" }, trace.Root.Children.Select(c => c.Name));
        Assert.Equal(0, trace.OrphanCount);
    }

    [Fact]
    public void Parent_cycles_and_duplicates_keep_every_span()
    {
        var a = Span(Trace1, 0x1, 0x2, "a", 0, 1);
        var b = Span(Trace1, 0x2, 0x1, "b", 1, 2);
        var self = Span(Trace1, 0x3, 0x3, "self", 2, 3);
        var dup = Span(Trace1, 0x2, 0x1, "b again", 1, 2);
        TraceTree trace = TraceForest.Build(new List<SpanRecord> { a, b, self, dup }).Traces.Single();
        Assert.Equal(4, trace.SpanCount);
        Assert.Equal(new[] { "a", "b", "b again", "self" }, trace.Nodes.Skip(1).Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(trace.Nodes.Count, trace.Nodes.Distinct().Count());
    }

    [Fact]
    public void A_child_from_a_process_with_a_skewed_clock_is_moved_inside_its_parent_with_its_own_children()
    {
        // The callee's clock runs 100 ms ahead: its server span "starts" long after the client span ended.
        var client = Span(Trace1, 0x1, 0, "GET downstream", 0, 20, ActivityKind.Client);
        var server = Span(Trace1, 0x2, 0x1, "GET /downstream", 104, 114, ActivityKind.Server, remoteParent: true);
        var inner = Span(Trace1, 0x3, 0x2, "inner", 105, 106);
        TraceTree trace = TraceForest.Build(new List<SpanRecord> { client, server, inner }).Traces.Single();

        SpanNode serverNode = trace.Nodes[1], innerNode = trace.Nodes[2];
        Assert.Equal(1, trace.SkewCorrections);
        Assert.Equal(T0 + 5 * Ms, serverNode.StartUnixNano); // centred: (20 - 10) / 2
        Assert.Equal(T0 + 15 * Ms, serverNode.EndUnixNano);
        Assert.Equal(-99 * Ms, serverNode.SkewNanos);
        Assert.Equal(T0 + 6 * Ms, innerNode.StartUnixNano); // same process, same shift
        Assert.Equal(10 * Ms, serverNode.DurationNanos); // durations are never changed
        Assert.Equal(T0 + 104 * Ms, server.StartUnixNano); // the record itself is untouched
    }

    [Fact]
    public void A_local_child_outside_its_parent_is_not_moved()
    {
        var parent = Span(Trace1, 0x1, 0, "parent", 0, 10);
        var child = Span(Trace1, 0x2, 0x1, "fire and forget", 5, 30);
        TraceTree trace = TraceForest.Build(new List<SpanRecord> { parent, child }).Traces.Single();
        Assert.Equal(0, trace.SkewCorrections);
        Assert.Equal(T0 + 5 * Ms, trace.Nodes[1].StartUnixNano);
    }

    [Fact]
    public void A_deep_chain_builds_without_recursion()
    {
        var spans = new List<SpanRecord>();
        for (int i = 1; i <= 50_000; i++)
        {
            spans.Add(Span(Trace1, (ulong)i, (ulong)(i - 1), "level", i * 0.001, 100));
        }
        TraceTree trace = TraceForest.Build(spans).Traces.Single();
        Assert.Equal(49_999, trace.Nodes[^1].Depth);
    }

    [Fact]
    public void One_walk_feeds_every_fold()
    {
        var counter = new CountingFold();
        var aggregates = new RouteAggregates();
        TraceForest.Build(WebRequest()).Walk(counter, aggregates);
        Assert.Equal(9, counter.Count);
        Assert.Equal(1, aggregates.Get("/posts/{id}")!.Count);
    }

    private sealed class CountingFold : ISpanFold
    {
        public int Count;
        public void Add(TraceTree trace, SpanNode node) => Count++;
    }
}
