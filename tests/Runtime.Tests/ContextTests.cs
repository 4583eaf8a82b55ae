using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.SpanTestKit;

namespace OtelGen.Runtime.Tests;

public class ContextTests
{
    [Fact]
    public void Synchronous_spans_nest_by_the_thread_stack()
    {
        TraceId trace;
        using (var outer = Tracing.StartSpan("outer"))
        {
            trace = outer.Context.TraceId;
            using (var inner = Tracing.StartSpan("inner"))
            {
                using var innermost = Tracing.StartSpan("innermost");
            }
            using var sibling = Tracing.StartSpan("sibling");
        }
        var spans = Trace(trace);
        SpanRecord outerSpan = Single(spans, "outer");
        Assert.False(outerSpan.ParentSpanId.IsValid);
        Assert.Equal(outerSpan.SpanId, Single(spans, "inner").ParentSpanId);
        Assert.Equal(Single(spans, "inner").SpanId, Single(spans, "innermost").ParentSpanId);
        Assert.Equal(outerSpan.SpanId, Single(spans, "sibling").ParentSpanId);
        Assert.All(spans, s => Assert.True(s.EndUnixNano >= s.StartUnixNano));
    }

    [Fact]
    public async Task An_async_span_stays_the_parent_across_ConfigureAwait_false_and_Task_Run()
    {
        TraceId trace = await RootWithAwaitsAsync();
        var spans = Trace(trace);
        SpanId rootId = Single(spans, "root").SpanId;
        Assert.Equal(rootId, Single(spans, "after-await").ParentSpanId);
        Assert.Equal(rootId, Single(spans, "in-task-run").ParentSpanId);
        Assert.Equal(4, spans.Count(s => s.Name == "iteration" && s.ParentSpanId == rootId));
    }

    // ConfigureAwait(false) is what is under test, so it lives outside the test method (xUnit1030).
    private static async Task<TraceId> RootWithAwaitsAsync()
    {
        TraceId trace;
        using (var root = Tracing.StartAsyncSpan("root"))
        {
            trace = root.Context.TraceId;
            await Task.Delay(5).ConfigureAwait(false);
            using (Tracing.StartSpan("after-await")) { }
            await Task.Run(() =>
            {
                using var inRun = Tracing.StartSpan("in-task-run");
            }).ConfigureAwait(false);
            Parallel.For(0, 4, i =>
            {
                using var iteration = Tracing.StartSpan("iteration");
            });
        }
        return trace;
    }

    [Fact]
    public void Activity_Current_becomes_the_parent_of_a_root_span()
    {
        using var activity = new Activity("aspnet-request").SetIdFormat(ActivityIdFormat.W3C);
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        activity.Start();
        using (Tracing.StartSpan("under-activity")) { }
        activity.Stop();
        var spans = Trace(TraceId.FromActivityTraceId(activity.TraceId));
        SpanRecord span = Single(spans, "under-activity");
        Assert.Equal(SpanId.FromActivitySpanId(activity.SpanId), span.ParentSpanId);
        Assert.False(span.ParentIsRemote);
    }

    [Fact]
    public void A_root_span_started_after_Activity_Current_changes_sees_the_new_activity()
    {
        // The thread remembers what it looked up for an execution context; a new Activity.Current makes a
        // new context, so the next span must look again (and again once the activity is gone).
        TraceId beforeTrace, underTrace, afterTrace;
        using (var first = Tracing.StartSpan("before-activity")) { beforeTrace = first.Context.TraceId; }
        var activity = new Activity("host-request").SetIdFormat(ActivityIdFormat.W3C);
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        activity.Start();
        using (var second = Tracing.StartSpan("under-new-activity")) { underTrace = second.Context.TraceId; }
        activity.Stop();
        using (var third = Tracing.StartSpan("after-activity")) { afterTrace = third.Context.TraceId; }

        Assert.False(Single(Trace(beforeTrace), "before-activity").ParentSpanId.IsValid);
        Assert.Equal(TraceId.FromActivityTraceId(activity.TraceId), underTrace);
        Assert.Equal(SpanId.FromActivitySpanId(activity.SpanId), Single(Trace(underTrace), "under-new-activity").ParentSpanId);
        Assert.NotEqual(underTrace, afterTrace);
        Assert.False(Single(Trace(afterTrace), "after-activity").ParentSpanId.IsValid);
    }

    [Fact]
    public void With_flow_suppressed_a_changed_Activity_Current_is_still_seen()
    {
        // Suppressed flow makes ExecutionContext.Capture() return null whatever the async-locals hold:
        // nothing may be remembered under it.
        using (ExecutionContext.SuppressFlow())
        {
            TraceId first;
            using (var span = Tracing.StartSpan("suppressed-root")) { first = span.Context.TraceId; }
            var activity = new Activity("suppressed-host").SetIdFormat(ActivityIdFormat.W3C);
            activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
            activity.Start();
            TraceId second;
            using (var span = Tracing.StartSpan("suppressed-under-activity")) { second = span.Context.TraceId; }
            activity.Stop();
            Assert.False(Single(Trace(first), "suppressed-root").ParentSpanId.IsValid);
            Assert.Equal(TraceId.FromActivityTraceId(activity.TraceId), second);
            Assert.Equal(SpanId.FromActivitySpanId(activity.SpanId), Single(Trace(second), "suppressed-under-activity").ParentSpanId);
        }
    }

    [Fact]
    public void Ids_are_valid_and_differ_between_threads()
    {
        // Each thread has its own generator, seeded separately: two threads must not produce the same ids.
        const int count = 2000;
        ulong[] Collect()
        {
            var ids = new ulong[count];
            for (int i = 0; i < count; i++)
            {
                using var span = Tracing.StartSpan("id");
                Assert.True(span.Context.TraceId.IsValid);
                Assert.True(span.Context.SpanId.IsValid);
                ids[i] = span.Context.SpanId.Value;
            }
            return ids;
        }
        ulong[]? a = null, b = null;
        var ta = new Thread(() => a = Collect());
        var tb = new Thread(() => b = Collect());
        ta.Start(); tb.Start(); ta.Join(); tb.Join();
        var all = a!.Concat(b!).ToHashSet();
        Assert.Equal(2 * count, all.Count);
        // Every bit position takes both values across 2000 ids (a stuck bit would show a broken generator).
        for (int bit = 0; bit < 64; bit++)
        {
            int ones = a!.Count(v => ((v >> bit) & 1) != 0);
            Assert.InRange(ones, count / 4, 3 * count / 4);
        }
    }

    [Fact]
    public void An_explicit_traceparent_is_continued_and_an_invalid_one_starts_a_new_trace()
    {
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using (TraceContext.Continue(traceparent, "vendor=value", "user=alice"))
        {
            Assert.Equal("alice", TraceContext.CurrentBaggage.Get("user"));
            using var span = Tracing.StartSpan("continued");
        }
        SpanRecord continued = Single(Trace(new TraceId(0x0af7651916cd43dd, 0x8448eb211c80319c)), "continued");
        Assert.Equal(new SpanId(0xb7ad6b7169203331), continued.ParentSpanId);
        Assert.True(continued.ParentIsRemote);
        Assert.Equal("vendor=value", continued.TraceState);

        TraceId fresh;
        using (TraceContext.Continue("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "vendor=value"))
        {
            using var span = Tracing.StartSpan("fresh");
            fresh = span.Context.TraceId;
        }
        SpanRecord freshSpan = Single(Trace(fresh), "fresh");
        Assert.False(freshSpan.ParentSpanId.IsValid);
        Assert.Null(freshSpan.TraceState);
    }

    [Fact]
    public async Task An_async_span_carries_the_baggage_current_at_its_start()
    {
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using (TraceContext.Continue(traceparent, null, "user=alice,tenant=blue"))
        {
            using AsyncSpanScope span = Tracing.StartAsyncSpan("outgoing", ActivityKind.Client);
            await Task.Yield();
            Assert.Equal("alice", span.Baggage.Get("user"));
            Assert.Equal("blue", span.Baggage.Get("tenant"));
            Assert.Same(TraceContext.CurrentBaggage, span.Baggage);
        }
        using (AsyncSpanScope outside = Tracing.StartAsyncSpan("no baggage", ActivityKind.Client))
        {
            Assert.Equal(0, outside.Baggage.Count);
        }
    }

    private static readonly AsyncLocal<string?> s_loggingScope = new();

    [Fact]
    public void Another_async_local_set_inside_a_span_does_not_hide_the_parent()
    {
        TraceId trace;
        using (var outer = Tracing.StartSpan("outer-with-scope"))
        {
            trace = outer.Context.TraceId;
            s_loggingScope.Value = "request 42";
            using (Tracing.StartSpan("inside-logging-scope")) { }
            s_loggingScope.Value = null;
        }
        var spans = Trace(trace);
        Assert.Equal(Single(spans, "outer-with-scope").SpanId, Single(spans, "inside-logging-scope").ParentSpanId);
    }

    [Fact]
    public void A_task_from_another_flow_inlined_under_a_span_keeps_its_own_parent()
    {
        TraceId otherTrace;
        Task foreign;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var other = Tracing.StartAsyncSpan("other-flow"))
        {
            otherTrace = other.Context.TraceId;
            // Created in the other flow, not started: it captures that flow's context.
            foreign = new Task(() =>
            {
                using var child = Tracing.StartSpan("foreign-child");
            });
        }
        TraceId mine;
        using (var span = Tracing.StartSpan("waiting-span"))
        {
            mine = span.Context.TraceId;
            foreign.RunSynchronously();
        }
        Assert.NotEqual(otherTrace, mine);
        var otherSpans = Trace(otherTrace);
        Assert.Equal(Single(otherSpans, "other-flow").SpanId, Single(otherSpans, "foreign-child").ParentSpanId);
        Assert.DoesNotContain(Trace(mine), s => s.Name == "foreign-child");
    }

    [Fact]
    public void Current_span_enrichment_reaches_the_innermost_open_span()
    {
        TraceId trace;
        using (var span = Tracing.StartSpan("enriched"))
        {
            trace = span.Context.TraceId;
            Tracing.CurrentSpan.SetAttribute("order.id", 42L).SetAttribute("order.express", true)
                .SetAttribute("order.tags", new[] { "a", "b" }).AddEvent("validated", new KeyValue[] { new("rule.count", 3L) });
            Assert.Equal(span.Context.SpanId.ToHexString(), Tracing.CurrentSpan.SpanId);
        }
        Assert.Null(Tracing.CurrentSpan.SpanId);
        SpanRecord recorded = Single(Trace(trace), "enriched");
        Assert.True(recorded.TryGetAttribute("order.id", out AttributeValue id));
        Assert.Equal(42L, id.AsLong());
        Assert.True(recorded.TryGetAttribute("order.tags", out AttributeValue tags));
        Assert.Equal(new[] { "a", "b" }, tags.AsStringArray());
        Assert.Equal("validated", recorded.Events[0].Name);
        Assert.Equal(3L, recorded.NestedRange(recorded.Events[0].AttributeStart, recorded.Events[0].AttributeCount)[0].Value.AsLong());
    }

    [Fact]
    public void Synchronous_spans_from_code_allocate_nothing()
    {
        static void Work()
        {
            using var span = Tracing.StartSpan("alloc-check");
            span.SetAttribute("n", 1L);
            span.SetAttribute("ok", true);
            using var inner = Tracing.StartSpan("alloc-inner", ActivityKind.Client);
            inner.SetAttribute("db.collection.name", "blog_post");
        }
        // Warm up until every ring slot has held these spans many times: a slot's arrays grow once, the
        // first time a span with attributes lands in it, and another test's background spans can shift
        // which slots those are.
        for (int i = 0; i < 1_000_000; i++)
        {
            Work();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000_000; i++)
        {
            Work();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Disabled_tracing_records_nothing()
    {
        long before = Tracing.Ring.Written;
        Tracing.Disable();
        try
        {
            using var span = Tracing.StartSpan("disabled");
            span.SetAttribute("x", 1L);
            Assert.False(span.IsRecording);
        }
        finally
        {
            Tracing.Enable();
        }
        Assert.Equal(before, Tracing.Ring.Written);
    }
}
