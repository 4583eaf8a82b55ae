using System;
using System.Diagnostics;
using System.Linq;
using OtelGen.Context;
using OtelGen.Sampling;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.SpanTestKit;

namespace OtelGen.Runtime.Tests.Sampling;

public sealed class HeadSamplerTests : IDisposable
{
    private static readonly double[] s_ratios = { 0.0, 0.2, 0.5, 0.999, 1.0 };

    // Runtime tests run serially; each test leaves the environment's sampler in place.
    public void Dispose() => SamplingSettings.Reset();

    // Expected decisions computed with OpenTelemetry 1.20.1's TraceIdRatioBasedSampler (the package's own
    // ShouldSample, run on these ids) for the ratios
    // 0, 0.2, 0.5, 0.999 and 1 (one character each): the same trace id gets the same decision here.
    [Theory]
    [InlineData("7fffffffffffffff0000000000000001", "00000")]
    [InlineData("80000000000000010000000000000001", "01111")]
    [InlineData("00000000000000000000000000000001", "01111")]
    [InlineData("3fffffffffffffffffffffffffffffff", "00111")]
    [InlineData("40000000000000000000000000000000", "00011")]
    [InlineData("c000000000000000ffffffffffffffff", "00011")]
    [InlineData("c000000000000001ffffffffffffffff", "00011")]
    [InlineData("1999999999999999aaaaaaaaaaaaaaaa", "01111")]
    [InlineData("199999999999999a0000000000000000", "01111")]
    [InlineData("e666666666666667aaaaaaaaaaaaaaaa", "00011")]
    [InlineData("e666666666666666aaaaaaaaaaaaaaaa", "00011")]
    [InlineData("3e17ba96ae04cd3b99869e56f0adbf3a", "00111")]
    [InlineData("6fb74d2555175dcc6e8b0914579ab036", "00011")]
    [InlineData("cfd6280bb3c707dbaef270dc9505096e", "00011")]
    [InlineData("676be7f10d46d827baed2722fbb9e4fe", "00011")]
    [InlineData("d667871a85b386a8af727663a7813769", "00011")]
    [InlineData("819aadebb3bf2989fd0051c69fe4e0f5", "01111")]
    [InlineData("0e71052d7eefe9b3e53e429bcf758038", "01111")]
    [InlineData("b5bea0600bf84a173efd1d8462c009ca", "00111")]
    [InlineData("918154357b0aea92b1fa06747c8eb987", "01111")]
    [InlineData("801810e04480ea1527eeee80d2645125", "01111")]
    [InlineData("3577094e204bbdabd40dae11f2d59ab0", "00111")]
    [InlineData("44950349af288611963f0d8c1b69c04c", "00011")]
    [InlineData("a8e03f05846b67345a650c36d1d82251", "00111")]
    [InlineData("543e3c3c6007750cf1f8b7e03d31906a", "00011")]
    [InlineData("4d61681296942bd82dcfef4a1c503fbe", "00011")]
    [InlineData("1dbc37dc2c83eba16a32148bb486f728", "00111")]
    [InlineData("d5a1e8706f0fbac013640f91182bf0a0", "00011")]
    [InlineData("b9f8c281fab33ec975c7a764809f23a7", "00111")]
    [InlineData("d7c6757a67ce4e0e0177c9c8745a883f", "00011")]
    [InlineData("4173d2bbc3762e21631ffaa868563f73", "00011")]
    [InlineData("cadf6a003432a6d98458ba625ef11604", "00011")]
    public void Trace_id_ratio_decides_as_the_OpenTelemetry_dotnet_sdk(string traceIdHex, string expected)
    {
        Assert.True(TraceId.TryParse(traceIdHex, out TraceId traceId));
        for (int i = 0; i < s_ratios.Length; i++)
        {
            bool sampled = expected[i] == '1';
            Assert.Equal(sampled, HeadSampler.IsInRatio(traceId, s_ratios[i]));
            HeadSampler.Configure(HeadSamplerKind.TraceIdRatio, s_ratios[i]);
            Assert.Equal(sampled, HeadSampler.ShouldSample(default, traceId));
            HeadSampler.Configure(HeadSamplerKind.ParentBasedTraceIdRatio, s_ratios[i]);
            Assert.Equal(sampled, HeadSampler.ShouldSampleRoot(traceId));
        }
    }

    [Fact]
    public void Trace_id_ratio_samples_that_share_of_random_trace_ids()
    {
        var random = new Random(20261122);
        HeadSampler.Configure(HeadSamplerKind.TraceIdRatio, 0.25);
        int sampled = 0;
        const int n = 40_000;
        for (int i = 0; i < n; i++)
        {
            var id = new TraceId((ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (ulong)random.NextInt64());
            sampled += HeadSampler.ShouldSample(default, id) ? 1 : 0;
        }
        // Binomial(40000, 0.25): the standard deviation is about 87, so this band is over 5 sigma wide.
        Assert.InRange(sampled, 9_500, 10_500);
    }

    [Fact]
    public void The_sign_bit_of_the_trace_id_prefix_is_ignored_as_the_sdk_does()
    {
        // 0x80.. clears to 0 (in every ratio above 0); 0xff.. clears to long.MaxValue (in none, not even 1).
        Assert.True(HeadSampler.IsInRatio(new TraceId(0x8000000000000000UL, 1), 1e-9));
        Assert.False(HeadSampler.IsInRatio(new TraceId(0x8000000000000000UL, 1), 0.0));
        Assert.False(HeadSampler.IsInRatio(new TraceId(ulong.MaxValue, 1), 1.0));
        Assert.Equal(HeadSampler.IsInRatio(new TraceId(0x1234567890abcdefUL, 1), 0.3), HeadSampler.IsInRatio(new TraceId(0x9234567890abcdefUL, 1), 0.3));
        HeadSampler.Configure(HeadSamplerKind.AlwaysOn);
        Assert.True(HeadSampler.ShouldSample(default, new TraceId(ulong.MaxValue, 1)));
    }

    [Theory]
    [InlineData(HeadSamplerKind.AlwaysOn, true)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOn, true)]
    [InlineData(HeadSamplerKind.AlwaysOff, false)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOff, false)]
    public void Always_on_and_off_decide_roots_whatever_the_trace_id(HeadSamplerKind kind, bool expected)
    {
        HeadSampler.Configure(kind);
        foreach (TraceId id in new[] { new TraceId(0x7fffffffffffffffUL, 1), new TraceId(0x8000000000000000UL, 0), new TraceId(0, 1), new TraceId(ulong.MaxValue, ulong.MaxValue) })
        {
            Assert.Equal(expected, HeadSampler.ShouldSample(default, id));
        }
    }

    [Theory]
    // Parent-based samplers follow the parent's flag, remote or local, whatever the root sampler says.
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOn, true, true, true)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOn, false, true, false)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOn, false, false, false)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOff, true, true, true)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOff, true, false, true)]
    [InlineData(HeadSamplerKind.ParentBasedAlwaysOff, false, true, false)]
    [InlineData(HeadSamplerKind.ParentBasedTraceIdRatio, true, true, true)]
    [InlineData(HeadSamplerKind.ParentBasedTraceIdRatio, false, false, false)]
    // The others ignore the parent.
    [InlineData(HeadSamplerKind.AlwaysOn, false, true, true)]
    [InlineData(HeadSamplerKind.AlwaysOn, false, false, true)]
    [InlineData(HeadSamplerKind.AlwaysOff, true, true, false)]
    [InlineData(HeadSamplerKind.AlwaysOff, true, false, false)]
    public void Parent_based_samplers_follow_the_parent_and_the_others_ignore_it(HeadSamplerKind kind, bool parentSampled, bool remote, bool expected)
    {
        // A trace id outside any ratio below 1, so the ratio samplers would say no for a root.
        var traceId = new TraceId(0x7ffffffffffffff0UL, 42);
        HeadSampler.Configure(kind, ratio: 0.5);
        var parent = new SpanContext(traceId, new SpanId(7), parentSampled ? (byte)1 : (byte)0, isRemote: remote);
        Assert.Equal(expected, HeadSampler.ShouldSample(parent, traceId));
    }

    [Fact]
    public void Traceidratio_ignores_the_parent_flag_and_uses_the_trace_id()
    {
        HeadSampler.Configure(HeadSamplerKind.TraceIdRatio, 0.5);
        var inRatio = new TraceId(0x1000000000000000UL, 1);
        var outOfRatio = new TraceId(0x7000000000000000UL, 1);
        Assert.True(HeadSampler.ShouldSample(new SpanContext(inRatio, new SpanId(1), 0, isRemote: true), inRatio));
        Assert.False(HeadSampler.ShouldSample(new SpanContext(outOfRatio, new SpanId(1), 1, isRemote: true), outOfRatio));
    }

    [Fact]
    public void A_span_under_always_off_is_not_recorded_and_sends_flag_00()
    {
        HeadSampler.Configure(HeadSamplerKind.AlwaysOff);
        long written = Tracing.Ring.Written;
        TraceId trace;
        string? outgoing;
        using (var span = Tracing.StartSpan("dropped-at-head"))
        {
            trace = span.Context.TraceId;
            Assert.False(span.IsRecording);
            // Not sampled; the random-trace-id flag (02) is set because OtelGen made the trace id.
            Assert.Equal(TraceParent.RandomTraceIdFlag, span.Context.TraceFlags);
            outgoing = TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value;
        }
        Assert.EndsWith("-02", outgoing);
        Assert.Contains(trace.ToHexString(), outgoing);
        Assert.Equal(written, Tracing.Ring.Written);
        Assert.Empty(Trace(trace));
    }

    [Fact]
    public void An_incoming_sampled_traceparent_is_honoured_and_sent_on_under_parentbased_always_off()
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedAlwaysOff);
        const string incoming = "00-5a3c1e0f9d7b42a6a3ce929d0e0e5a11-00f067aa0ba902b7-01";
        string outgoing;
        using (TraceContext.Continue(incoming))
        {
            using var span = Tracing.StartSpan("server", ActivityKind.Server);
            Assert.True(span.IsRecording);
            outgoing = TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value;
        }
        Assert.StartsWith("00-5a3c1e0f9d7b42a6a3ce929d0e0e5a11-", outgoing);
        Assert.EndsWith("-01", outgoing);
        Assert.DoesNotContain("00f067aa0ba902b7", outgoing);
        TraceId.TryParse("5a3c1e0f9d7b42a6a3ce929d0e0e5a11", out TraceId trace);
        SpanRecord server = Single(Trace(trace), "server");
        Assert.True(server.IsSampled);
        Assert.True(server.ParentIsRemote);
        Assert.Equal("00f067aa0ba902b7", server.ParentSpanId.ToHexString());
    }

    [Fact]
    public void An_incoming_unsampled_traceparent_is_honoured_and_sent_on_under_parentbased_always_on()
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedAlwaysOn);
        const string incoming = "00-5a3c1e0f9d7b42a6a3ce929d0e0e5a22-00f067aa0ba902b7-00";
        string outgoing;
        using (TraceContext.Continue(incoming))
        {
            using var span = Tracing.StartSpan("server", ActivityKind.Server);
            Assert.False(span.IsRecording);
            using var child = Tracing.StartSpan("child");
            Assert.False(child.IsRecording);
            outgoing = TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value;
        }
        Assert.EndsWith("-00", outgoing);
        TraceId.TryParse("5a3c1e0f9d7b42a6a3ce929d0e0e5a22", out TraceId trace);
        Assert.Empty(Trace(trace));
    }

    [Fact]
    public void Always_on_samples_under_an_unsampled_incoming_parent()
    {
        HeadSampler.Configure(HeadSamplerKind.AlwaysOn);
        using (TraceContext.Continue("00-5a3c1e0f9d7b42a6a3ce929d0e0e5a33-00f067aa0ba902b7-00"))
        {
            using var span = Tracing.StartSpan("server", ActivityKind.Server);
            Assert.True(span.IsRecording);
            Assert.Equal(1, span.Context.TraceFlags);
        }
    }

    [Fact]
    public void Under_parentbased_traceidratio_roots_decide_by_trace_id_and_children_follow()
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedTraceIdRatio, 0.5);
        int sampled = 0;
        for (int i = 0; i < 64; i++)
        {
            using var root = Tracing.StartSpan("root");
            using var child = Tracing.StartSpan("child");
            TraceId trace = root.Context.TraceId;
            bool expected = HeadSampler.IsInRatio(trace, 0.5);
            Assert.Equal(expected, root.Context.IsSampled);
            Assert.Equal(expected, child.Context.IsSampled);
            Assert.Equal(expected, child.IsRecording);
            sampled += expected ? 1 : 0;
        }
        // Both outcomes occur (the chance that 64 random roots all land on one side is 2^-63).
        Assert.InRange(sampled, 1, 63);
    }

    [Fact]
    public void Tail_sampling_records_unsampled_spans_but_sends_the_head_decision()
    {
        SamplingSettings.Configure(new SamplingOptions { Spec = "head:0,tail:error" });
        Assert.True(HeadSampler.RecordsUnsampled);
        TraceId trace;
        string outgoing;
        using (var span = Tracing.StartSpan("recorded-not-sampled"))
        {
            trace = span.Context.TraceId;
            Assert.True(span.IsRecording);
            Assert.False(span.Context.IsSampled);
            outgoing = TraceContext.ToHeaders().Single(h => h.Key == "traceparent").Value;
        }
        Assert.EndsWith("-02", outgoing); // not sampled, random trace id
        SpanRecord recorded = Single(Trace(trace), "recorded-not-sampled");
        Assert.False(recorded.IsSampled);
    }

    [Fact]
    public void Deciding_and_starting_a_sampled_out_span_allocate_nothing()
    {
        HeadSampler.Configure(HeadSamplerKind.ParentBasedTraceIdRatio, 0.0);
        var parent = new SpanContext(new TraceId(1, 2), new SpanId(3), 1, isRemote: true);
        for (int i = 0; i < 100; i++)
        {
            using var warm = Tracing.StartSpan("warm");
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        int sampled = 0;
        for (int i = 0; i < 1000; i++)
        {
            sampled += HeadSampler.ShouldSample(parent, parent.TraceId) ? 1 : 0;
            sampled += HeadSampler.ShouldSample(default, new TraceId((ulong)i, 1)) ? 1 : 0;
            using var span = Tracing.StartSpan("sampled-out");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, sampled);
        Assert.Equal(0, allocated);
    }
}
