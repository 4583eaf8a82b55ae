using System;
using System.Collections.Generic;
using System.Linq;
using OtelGen.Sampling;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public class TailSamplerTests
{
    private const long Ms = 1_000_000;
    private readonly List<SpanRecord> _exported = new();
    private ulong _nextTrace = 0x1000;

    private TailSampler Make(TailPolicies policies, Func<TailSamplerSettings, TailSamplerSettings>? tweak = null)
    {
        var settings = new TailSamplerSettings { Policies = policies, HoldTime = TimeSpan.FromSeconds(1) };
        settings = tweak?.Invoke(settings) ?? settings;
        // The output's record is valid only during the call: keep a copy.
        return new TailSampler(settings, span => _exported.Add(span.Clone()));
    }

    private TraceId NewTrace() => new(0xabcdef, _nextTrace++);

    private static SpanRecord Span(TraceId trace, ulong id, ulong parent, string name, long startMs, long endMs,
        bool sampled = false, bool error = false, bool remoteParent = false)
    {
        var span = new SpanRecord
        {
            TraceId = trace,
            SpanId = new SpanId(id),
            ParentSpanId = new SpanId(parent),
            ParentIsRemote = remoteParent,
            TraceFlags = sampled ? (byte)1 : (byte)0,
            Name = name,
            StartUnixNano = startMs * Ms,
            EndUnixNano = endMs * Ms,
            StatusCode = error ? SpanStatusCode.Error : SpanStatusCode.Unset,
        };
        return span;
    }

    // A trace as it arrives from the ring: children end before their root.
    private TraceId OfferTrace(TailSampler tail, string route, long durationMs, bool sampled = false, bool errorChild = false, string childName = "db.get", long now = 0)
    {
        TraceId trace = NewTrace();
        tail.Offer(Span(trace, 2, 1, childName, 1, 2, sampled, errorChild), now);
        tail.Offer(Span(trace, 3, 1, "cache.get", 2, 3, sampled), now);
        tail.Offer(Span(trace, 1, 0, route, 0, durationMs, sampled), now);
        return trace;
    }

    private List<SpanRecord> Exported(TraceId trace) => _exported.Where(s => s.TraceId == trace).ToList();

    [Fact]
    public void Error_policy_keeps_an_unsampled_trace_with_an_error_span_whole()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId failing = OfferTrace(tail, "GET /orders", 10, errorChild: true);
        TraceId fine = OfferTrace(tail, "GET /orders", 10);

        Assert.Equal(new[] { "db.get", "cache.get", "GET /orders" }, Exported(failing).Select(s => s.Name));
        Assert.All(Exported(failing), s => Assert.False(s.IsSampled));
        Assert.Empty(Exported(fine));
        Assert.Equal(1, tail.KeptForError);
        Assert.Equal(1, tail.KeptTraces);
        Assert.Equal(1, tail.DroppedTraces);
        Assert.Equal(0, tail.HeldTraces);
        Assert.Equal(0, tail.HeldSpans);
    }

    [Fact]
    public void An_error_on_the_root_alone_is_kept_too()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId trace = NewTrace();
        tail.Offer(Span(trace, 1, 0, "GET /x", 0, 5, error: true), 0);
        Assert.Single(Exported(trace));
        Assert.Equal(1, tail.KeptForError);
    }

    [Fact]
    public void Without_the_error_policy_an_unsampled_failing_trace_is_dropped()
    {
        TailSampler tail = Make(TailPolicies.Promoted);
        TraceId failing = OfferTrace(tail, "GET /orders", 10, errorChild: true);
        Assert.Empty(Exported(failing));
        Assert.Equal(1, tail.DroppedTraces);
    }

    [Fact]
    public void The_head_ratio_keeps_sampled_traces_of_the_rest()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId sampled = OfferTrace(tail, "GET /a", 10, sampled: true);
        TraceId unsampled = OfferTrace(tail, "GET /a", 10, sampled: false);
        Assert.Equal(3, Exported(sampled).Count);
        Assert.Empty(Exported(unsampled));
        Assert.Equal(1, tail.KeptByHead);
    }

    [Theory]
    [InlineData("job.queue_wait")]
    [InlineData("job.park")]
    public void Promoted_policy_keeps_traces_with_a_promoted_job_span(string promoted)
    {
        TailSampler tail = Make(TailPolicies.Promoted);
        TraceId withJob = OfferTrace(tail, "process order", 10, childName: promoted);
        TraceId plain = OfferTrace(tail, "process order", 10, childName: "job.run");
        Assert.Equal(3, Exported(withJob).Count);
        Assert.Empty(Exported(plain));
        Assert.Equal(1, tail.KeptForPromotion);

        TailSampler errorsOnly = Make(TailPolicies.Error);
        TraceId notPromoted = OfferTrace(errorsOnly, "process order", 10, childName: promoted);
        Assert.Empty(Exported(notPromoted));
    }

    [Fact]
    public void P99_policy_keeps_a_root_slower_than_its_routes_running_p99()
    {
        TailSampler tail = Make(TailPolicies.P99);
        var random = new Random(6);
        // Route /a: 200 roots between 10 and 20 ms.
        for (int i = 0; i < 200; i++)
        {
            OfferTrace(tail, "GET /a", random.Next(10, 21));
        }
        // Route /c: 200 roots between 100 and 200 ms.
        for (int i = 0; i < 200; i++)
        {
            OfferTrace(tail, "GET /c", random.Next(100, 201));
        }
        // Route /b: too few roots to know its p99.
        for (int i = 0; i < 10; i++)
        {
            OfferTrace(tail, "GET /b", 10);
        }
        _exported.Clear();
        long keptBefore = tail.KeptForLatency;

        TraceId slowA = OfferTrace(tail, "GET /a", 60);
        TraceId usualA = OfferTrace(tail, "GET /a", 15);
        TraceId usualC = OfferTrace(tail, "GET /c", 150);
        TraceId unknownB = OfferTrace(tail, "GET /b", 500);

        Assert.Equal(3, Exported(slowA).Count);
        Assert.Empty(Exported(usualA));
        Assert.Empty(Exported(usualC));
        Assert.Empty(Exported(unknownB));
        Assert.Equal(keptBefore + 1, tail.KeptForLatency);
    }

    [Fact]
    public void P95_is_a_lower_bar_than_p99()
    {
        TailSampler p95 = Make(TailPolicies.P95);
        TailSampler p99 = Make(TailPolicies.P99);
        foreach (TailSampler tail in new[] { p95, p99 })
        {
            // 95 roots at 10 ms, 4 at 30 ms, 1 at 100 ms: p95 is in the 10 ms bucket, p99 in the 30 ms one.
            for (int i = 0; i < 100; i++)
            {
                OfferTrace(tail, "GET /r", i < 95 ? 10 : i < 99 ? 30 : 100);
            }
        }
        _exported.Clear();
        TraceId byP95 = OfferTrace(p95, "GET /r", 20);
        TraceId byP99 = OfferTrace(p99, "GET /r", 20);
        Assert.Equal(3, Exported(byP95).Count);
        Assert.Empty(Exported(byP99));
    }

    [Fact]
    public void A_trace_whose_root_never_ends_is_exported_after_the_hold_time()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId trace = NewTrace();
        tail.Offer(Span(trace, 2, 1, "child", 1, 2), nowNanos: 0);
        tail.Offer(Span(trace, 3, 1, "child", 2, 3), nowNanos: 100 * Ms);
        Assert.Equal(1, tail.HeldTraces);
        Assert.Equal(2, tail.HeldSpans);

        tail.Expire(999 * Ms);
        Assert.Empty(_exported);

        tail.Expire(1000 * Ms);
        Assert.Equal(2, Exported(trace).Count);
        Assert.Equal(1, tail.ExpiredTraces);
        Assert.Equal(0, tail.HeldTraces);
        Assert.Equal(0, tail.HeldSpans);

        // The root, when it finally ends, follows its trace out.
        tail.Offer(Span(trace, 1, 0, "root", 0, 5000), 5000 * Ms);
        Assert.Equal(3, Exported(trace).Count);
        Assert.Equal(1, tail.LateSpansKept);
    }

    [Fact]
    public void Offering_expires_old_traces_as_it_goes()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId old = NewTrace();
        tail.Offer(Span(old, 2, 1, "child", 1, 2), 0);
        OfferTrace(tail, "GET /a", 5, now: 2000 * Ms);
        Assert.Single(Exported(old));
        Assert.Equal(1, tail.ExpiredTraces);
    }

    [Fact]
    public void Spans_ending_after_a_dropped_trace_are_dropped_with_it()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId trace = NewTrace();
        tail.Offer(Span(trace, 1, 0, "root", 0, 5), 0);
        tail.Offer(Span(trace, 2, 1, "fire-and-forget", 1, 9), 0);
        Assert.Empty(_exported);
        Assert.Equal(1, tail.LateSpansDropped);
        Assert.Equal(0, tail.HeldTraces);
    }

    [Fact]
    public void A_span_with_a_remote_parent_is_the_local_root()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId trace = NewTrace();
        tail.Offer(Span(trace, 2, 1, "db.get", 1, 2, error: true), 0);
        Assert.Equal(1, tail.HeldTraces);
        tail.Offer(Span(trace, 1, 0x77, "GET /from-upstream", 0, 5, remoteParent: true), 0);
        Assert.Equal(0, tail.HeldTraces);
        Assert.Equal(2, Exported(trace).Count);
        Assert.True(TailSampler.IsLocalRoot(Span(trace, 1, 0x77, "x", 0, 1, remoteParent: true)));
        Assert.False(TailSampler.IsLocalRoot(Span(trace, 2, 1, "x", 0, 1)));
    }

    [Fact]
    public void Holding_is_bounded_in_traces_the_oldest_is_decided_early()
    {
        TailSampler tail = Make(TailPolicies.Error, s => new TailSamplerSettings { Policies = s.Policies, HoldTime = s.HoldTime, MaxTraces = 3 });
        var traces = new List<TraceId>();
        for (int i = 0; i < 5; i++)
        {
            TraceId trace = NewTrace();
            traces.Add(trace);
            // Trace 0 has failed so far; trace 1 is plain; none has ended its root.
            tail.Offer(Span(trace, 2, 1, "child", 1, 2, error: i == 0), 0);
            Assert.InRange(tail.HeldTraces, 1, 3);
        }
        Assert.Equal(2, tail.EvictedTraces);
        Assert.Single(Exported(traces[0]));
        Assert.Empty(Exported(traces[1]));
        Assert.Equal(1, tail.KeptTraces);
        Assert.Equal(1, tail.DroppedTraces);
        // The rest of an evicted trace follows its early decision.
        tail.Offer(Span(traces[0], 1, 0, "root", 0, 9), 0);
        Assert.Equal(2, Exported(traces[0]).Count);
    }

    [Fact]
    public void Holding_is_bounded_in_spans()
    {
        TailSampler tail = Make(TailPolicies.Error, s => new TailSamplerSettings { Policies = s.Policies, HoldTime = s.HoldTime, MaxSpans = 4 });
        TraceId big = NewTrace();
        for (ulong i = 0; i < 10; i++)
        {
            tail.Offer(Span(big, 10 + i, 1, "child", 1, 2, sampled: true), 0);
            Assert.InRange(tail.HeldSpans, 0, 4);
        }
        // Sampled at the head, so nothing is lost: the early decision keeps it, later spans follow.
        Assert.Equal(10, Exported(big).Count);
        Assert.Equal(1, tail.EvictedTraces);
    }

    [Fact]
    public void Held_spans_are_copies_so_the_caller_may_reuse_its_record()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId trace = NewTrace();
        SpanRecord reused = Span(trace, 2, 1, "first-child", 1, 2, error: true);
        reused.SetAttribute("db.system.name", "postgresql");
        tail.Offer(reused, 0);
        reused.Clear();
        reused.Name = "overwritten";
        tail.Offer(Span(trace, 1, 0, "root", 0, 3), 0);

        SpanRecord child = Assert.Single(Exported(trace), s => s.SpanId == new SpanId(2));
        Assert.Equal("first-child", child.Name);
        Assert.True(child.TryGetAttribute("db.system.name", out AttributeValue value));
        Assert.Equal("postgresql", value.AsString());
    }

    [Fact]
    public void Flush_exports_everything_held()
    {
        TailSampler tail = Make(TailPolicies.Error);
        TraceId a = NewTrace();
        TraceId b = NewTrace();
        tail.Offer(Span(a, 2, 1, "child", 1, 2), 0);
        tail.Offer(Span(b, 2, 1, "child", 1, 2), 0);
        tail.Flush();
        Assert.Single(Exported(a));
        Assert.Single(Exported(b));
        Assert.Equal(2, tail.ExpiredTraces);
        Assert.Equal(0, tail.HeldTraces);
    }

    [Fact]
    public void A_throwing_output_is_counted_and_does_not_wedge_the_stage()
    {
        int calls = 0;
        var tail = new TailSampler(new TailSamplerSettings { Policies = TailPolicies.Error }, _ =>
        {
            calls++;
            throw new InvalidOperationException("sink down");
        });
        TraceId trace = NewTrace();
        tail.Offer(Span(trace, 2, 1, "child", 1, 2, error: true), 0);
        tail.Offer(Span(trace, 1, 0, "root", 0, 3), 0);
        Assert.Equal(2, calls);
        Assert.Equal(2, tail.OutputFailures);
        Assert.Equal(0, tail.HeldSpans);
    }

    [Fact]
    public void Recent_decisions_are_remembered_within_bounds()
    {
        TailSampler tail = Make(TailPolicies.Error, s => new TailSamplerSettings { Policies = s.Policies, HoldTime = s.HoldTime, DecisionMemory = 2 });
        TraceId first = NewTrace();
        tail.Offer(Span(first, 1, 0, "root", 0, 3, error: true), 0);
        OfferTrace(tail, "other", 3);
        OfferTrace(tail, "other", 3);
        // The first decision is forgotten: a late span of that trace is now held like a new trace.
        tail.Offer(Span(first, 2, 1, "late", 1, 2), 0);
        Assert.Equal(0, tail.LateSpansKept);
        Assert.Equal(1, tail.HeldTraces);
    }
}
