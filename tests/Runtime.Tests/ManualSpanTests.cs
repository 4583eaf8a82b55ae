using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.SpanTestKit;

namespace OtelGen.Runtime.Tests;

public class ManualSpanTests
{
    [Fact]
    public void A_span_that_ended_keeps_its_data_in_the_ring_when_the_next_span_reuses_its_frame()
    {
        // The next span on this thread reuses the frame and its record: what the ring holds of the first
        // span must not change with it (as it would if the ring kept the record the span goes on using).
        TraceId firstTrace, secondTrace;
        using (var first = Tracing.StartSpan("reuse.first", ActivityKind.Internal))
        {
            firstTrace = first.Context.TraceId;
            first.Span.SetAttribute("app.step", "first").SetAttribute("app.n", 1L);
            first.Span.AddEvent("app.began");
        }
        using (var second = Tracing.StartSpan("reuse.second", ActivityKind.Internal))
        {
            secondTrace = second.Context.TraceId;
            second.Span.SetAttribute("app.step", "second").SetAttribute("app.n", 2L);
        }
        SpanRecord a = Single(Trace(firstTrace), "reuse.first");
        SpanRecord b = Single(Trace(secondTrace), "reuse.second");
        Assert.True(a.TryGetAttribute("app.step", out AttributeValue step) && step.AsString() == "first");
        Assert.True(a.TryGetAttribute("app.n", out AttributeValue n) && n.AsLong() == 1);
        Assert.Equal("app.began", Assert.Single(a.Events.Take(a.EventCount)).Name);
        Assert.True(b.TryGetAttribute("app.step", out step) && step.AsString() == "second");
        Assert.Equal(0, b.EventCount);
    }

    [Fact]
    public void A_span_from_code_carries_links_status_and_an_exception()
    {
        var linked = new SpanContext(new TraceId(7, 8), new SpanId(9), 1, "k=v");
        TraceId trace;
        using (var span = Tracing.StartSpan("reduce", ActivityKind.Internal))
        {
            trace = span.Context.TraceId;
            span.Span.AddLink(linked, new KeyValue[] { new("app.partition", 3L) })
                .SetAttribute("app.weights", new[] { 0.5, 1.5 })
                .SetAttribute("app.flags", new[] { true, false })
                .SetAttribute("app.ids", new[] { 1L, 2L });
            span.RecordException(new InvalidOperationException("boom"));
        }
        SpanRecord recorded = Single(Trace(trace), "reduce");
        Assert.Equal(SpanStatusCode.Error, recorded.StatusCode);
        Assert.Equal("boom", recorded.StatusMessage);
        Assert.True(recorded.TryGetAttribute("error.type", out AttributeValue errorType));
        Assert.Equal("System.InvalidOperationException", errorType.AsString());
        SpanEvent exception = Assert.Single(recorded.Events.Take(recorded.EventCount));
        Assert.Equal("exception", exception.Name);
        var eventAttributes = recorded.NestedRange(exception.AttributeStart, exception.AttributeCount).ToArray();
        Assert.Equal(new[] { "exception.type", "exception.message", "exception.stacktrace" }, eventAttributes.Select(a => a.Key));
        SpanLink link = Assert.Single(recorded.Links.Take(recorded.LinkCount));
        Assert.Equal(linked.TraceId, link.TraceId);
        Assert.Equal(linked.SpanId, link.SpanId);
        Assert.Equal("k=v", link.TraceState);
        Assert.Equal(3L, recorded.NestedRange(link.AttributeStart, link.AttributeCount)[0].Value.AsLong());
        Assert.True(recorded.TryGetAttribute("app.weights", out AttributeValue weights));
        Assert.Equal(new[] { 0.5, 1.5 }, weights.AsDoubleArray());
    }

    [Fact]
    public void An_ended_span_hands_its_data_to_the_ring_and_keeps_none_of_it()
    {
        ActiveSpan? behind;
        TraceId trace;
        using (var span = Tracing.StartSpan("holder"))
        {
            behind = span.LiveSpan;
            trace = span.Context.TraceId;
            span.SetAttribute("app.note", "kept in the ring only");
            span.Span.AddLink(new SpanContext(new TraceId(1, 2), new SpanId(3), 1, "k=v"), new KeyValue[] { new("app.partition", 3L) });
            span.RecordException(new InvalidOperationException("boom"));
        }

        // The ring's copy is whole.
        SpanRecord recorded = Single(Trace(trace), "holder");
        Assert.True(recorded.TryGetAttribute("app.note", out AttributeValue note));
        Assert.Equal("kept in the ring only", note.AsString());
        Assert.Equal(1, recorded.EventCount);
        Assert.Equal(1, recorded.LinkCount);
        Assert.Equal("boom", recorded.StatusMessage);

        // The reused record behind the finished span holds none of it: nothing of a finished request stays
        // reachable from a pooled span, and the next span starts with nothing to clear.
        SpanRecord pooled = behind!.Record;
        Assert.Equal(0, pooled.AttributeCount + pooled.EventCount + pooled.LinkCount + pooled.NestedAttributeCount);
        Assert.All(pooled.Attributes, a => Assert.Null(a.Key));
        Assert.All(pooled.NestedAttributes, a => Assert.Null(a.Key));
        Assert.All(pooled.Events, e => Assert.Null(e.Name));
        Assert.All(pooled.Links, l => Assert.Null(l.TraceState));
        Assert.Null(pooled.StatusMessage);
        Assert.Null(pooled.TraceState);
    }

    [Fact]
    public async Task An_async_span_from_code_is_the_parent_after_await_and_ends_on_dispose()
    {
        TraceId trace = await Region();
        var spans = Trace(trace);
        SpanRecord outer = Single(spans, "load_all");
        Assert.Equal(outer.SpanId, Single(spans, "after").ParentSpanId);
        Assert.True(outer.EndUnixNano >= Single(spans, "after").EndUnixNano);

        static async Task<TraceId> Region()
        {
            using var region = Tracing.StartAsyncSpan("load_all");
            await Task.Yield();
            using (Tracing.StartSpan("after")) { }
            return region.Context.TraceId;
        }
    }

    [Fact]
    public void Outgoing_headers_and_child_environment_carry_context_and_baggage()
    {
        using var scope = TraceContext.Continue("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "congo=t61", "user=alice");
        using var span = Tracing.StartSpan("outgoing");
        var headers = TraceContext.ToHeaders().ToDictionary(h => h.Key, h => h.Value);
        Assert.Equal($"00-0af7651916cd43dd8448eb211c80319c-{span.Context.SpanId}-01", headers["traceparent"]);
        Assert.Equal("congo=t61", headers["tracestate"]);
        Assert.Equal("user=alice", headers["baggage"]);
        var env = TraceContext.ToEnvironment().ToDictionary(h => h.Key, h => h.Value);
        Assert.Equal(headers["traceparent"], env["TRACEPARENT"]);
        Assert.Equal("user=alice", env["BAGGAGE"]);
    }

    [Fact]
    public void Baggage_set_in_code_flows_to_children_and_is_removed_on_dispose()
    {
        using var span = Tracing.StartSpan("with-baggage");
        using (TraceContext.SetBaggage("tenant", "acme"))
        {
            Assert.Equal("acme", TraceContext.CurrentBaggage.Get("tenant"));
            Assert.Contains(TraceContext.ToHeaders(), h => h.Key == "baggage" && h.Value == "tenant=acme");
            // The span stays current for enrichment while baggage changes.
            Assert.Equal(span.Context.SpanId.ToHexString(), Tracing.CurrentSpan.SpanId);
        }
        Assert.Null(TraceContext.CurrentBaggage.Get("tenant"));
    }

    [Fact]
    public void A_span_handle_outliving_its_span_does_nothing()
    {
        SpanHandle stale;
        TraceId trace;
        using (var span = Tracing.StartSpan("short-lived"))
        {
            stale = span.Span;
            trace = span.Context.TraceId;
        }
        using (var reuse = Tracing.StartSpan("reuses-the-frame"))
        {
            stale.SetAttribute("late", 1L);
            Assert.False(stale.IsRecording);
        }
        Assert.False(Single(Trace(trace), "short-lived").TryGetAttribute("late", out _));
    }

    [Fact]
    public void A_start_time_can_move_back_but_never_forward()
    {
        TraceId trace;
        long earlier;
        using (var span = Tracing.StartSpan("claimed"))
        {
            trace = span.Context.TraceId;
            earlier = SpanClock.NowUnixNanos() - 5_000_000;
            span.Span.SetStartTime(earlier).SetStartTime(earlier + 10_000_000_000);
        }
        Assert.Equal(earlier, Single(Trace(trace), "claimed").StartUnixNano);
    }
}
