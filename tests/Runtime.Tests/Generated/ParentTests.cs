using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

public static class Family
{
    [Traced]
    public static int Leaf(int i) => i;

    [Traced]
    public static async Task<int> OuterAsync()
    {
        await Task.Delay(1).ConfigureAwait(false);
        int after = Leaf(2);
        return after + await InnerAsync().ConfigureAwait(false);
    }

    [Traced]
    public static async Task<int> InnerAsync()
    {
        await Task.Yield();
        return Leaf(3);
    }

    [Traced]
    public static int RunsTask() => Task.Run(() => Leaf(4)).GetAwaiter().GetResult();

    [Traced]
    public static void Fans(int count)
    {
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => Leaf(i));
    }

    [Traced]
    public static int Root() => Leaf(5);

    // Sync over async: the untraced async helper resumes on a pool thread, outside this thread's stack.
    [Traced]
    public static int SyncOverAsync() => UntracedAsync().GetAwaiter().GetResult();

    private static async Task<int> UntracedAsync()
    {
        await Task.Yield();
        return Leaf(6);
    }
}

public class ParentTests
{
    private static SpanRecord Only(System.Collections.Generic.List<SpanRecord> spans, string name) => Assert.Single(spans, s => s.Name == name);

    [Fact]
    public async Task Parents_stay_right_across_await_with_ConfigureAwait_false()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(5, await Family.OuterAsync());
        SpanRecord outer = Recorded.Eventually("Family.OuterAsync", before);
        var spans = Recorded.InTrace(outer.TraceId);
        SpanRecord inner = Only(spans, "Family.InnerAsync");
        Assert.Equal(outer.SpanId, inner.ParentSpanId);
        // Leaf(2) runs after the ConfigureAwait(false) resumption on a pool thread; Leaf(3) inside InnerAsync.
        Assert.Contains(spans, s => s.Name == "Family.Leaf" && s.ParentSpanId.Equals(outer.SpanId));
        Assert.Contains(spans, s => s.Name == "Family.Leaf" && s.ParentSpanId.Equals(inner.SpanId));
        Assert.Equal(4, spans.Count);
    }

    [Fact]
    public void Task_Run_inside_a_traced_method_is_its_child()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(4, Family.RunsTask());
        SpanRecord parent = Recorded.Single("Family.RunsTask", before);
        SpanRecord leaf = Recorded.Single("Family.Leaf", before);
        Assert.Equal(parent.TraceId, leaf.TraceId);
        Assert.Equal(parent.SpanId, leaf.ParentSpanId);
    }

    [Fact]
    public void Every_Parallel_For_iteration_is_a_child_of_the_traced_method()
    {
        long before = Tracing.Ring.Written;
        Family.Fans(64);
        SpanRecord parent = Recorded.Single("Family.Fans", before);
        var leaves = Recorded.Since(before).FindAll(s => s.Name == "Family.Leaf");
        Assert.Equal(64, leaves.Count);
        Assert.All(leaves, leaf =>
        {
            Assert.Equal(parent.TraceId, leaf.TraceId);
            Assert.Equal(parent.SpanId, leaf.ParentSpanId);
        });
    }

    [Fact]
    public void Work_resumed_by_an_untraced_async_helper_of_a_sync_method_is_its_child()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(6, Family.SyncOverAsync());
        SpanRecord parent = Recorded.Single("Family.SyncOverAsync", before);
        SpanRecord leaf = Recorded.Single("Family.Leaf", before);
        Assert.Equal(parent.TraceId, leaf.TraceId);
        Assert.Equal(parent.SpanId, leaf.ParentSpanId);
    }

    [Fact]
    public void An_existing_Activity_becomes_the_parent()
    {
        long before = Tracing.Ring.Written;
        // Sampled, as an ASP.NET Core request activity with a listener is: children follow the parent's flag.
        var incoming = new Activity("incoming").SetIdFormat(ActivityIdFormat.W3C);
        incoming.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        using (Activity activity = incoming.Start())
        {
            Family.Root();
            SpanRecord root = Recorded.Single("Family.Root", before);
            Assert.Equal(activity.TraceId.ToHexString(), root.TraceId.ToHexString());
            Assert.Equal(activity.SpanId.ToHexString(), root.ParentSpanId.ToHexString());
            SpanRecord leaf = Recorded.Single("Family.Leaf", before);
            Assert.Equal(root.SpanId, leaf.ParentSpanId);
        }
    }

    [Fact]
    public void An_explicit_W3C_traceparent_is_continued()
    {
        long before = Tracing.Ring.Written;
        using (TraceContext.Continue("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        {
            Family.Root();
        }
        SpanRecord root = Recorded.Single("Family.Root", before);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", root.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", root.ParentSpanId.ToHexString());
        Assert.True(root.ParentIsRemote);
        Assert.Equal(root.SpanId, Recorded.Single("Family.Leaf", before).ParentSpanId);
    }

    [Fact]
    public async Task After_an_async_span_the_caller_flow_is_restored()
    {
        long before = Tracing.Ring.Written;
        await Family.InnerAsync();
        Family.Root();
        SpanRecord inner = Recorded.Eventually("Family.InnerAsync", before);
        SpanRecord root = Recorded.Single("Family.Root", before);
        Assert.NotEqual(inner.TraceId, root.TraceId);
    }
}
