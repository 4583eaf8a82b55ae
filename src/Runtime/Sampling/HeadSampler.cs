using System;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Sampling;

/// <summary>The standard OpenTelemetry head samplers (the values of <c>OTEL_TRACES_SAMPLER</c>).</summary>
public enum HeadSamplerKind
{
    /// <summary><c>parentbased_always_on</c>: a span follows its parent's sampled flag; a root is sampled. The default.</summary>
    ParentBasedAlwaysOn,
    /// <summary><c>parentbased_always_off</c>: a span follows its parent's sampled flag; a root is not sampled.</summary>
    ParentBasedAlwaysOff,
    /// <summary><c>parentbased_traceidratio</c>: a span follows its parent's sampled flag; a root is sampled by trace-id ratio.</summary>
    ParentBasedTraceIdRatio,
    /// <summary><c>always_on</c>: every span is sampled, whatever its parent says.</summary>
    AlwaysOn,
    /// <summary><c>always_off</c>: no span is sampled, whatever its parent says.</summary>
    AlwaysOff,
    /// <summary><c>traceidratio</c>: every span is sampled by trace-id ratio, whatever its parent says.</summary>
    TraceIdRatio,
}

/// <summary>
/// The decision made when a span starts: its W3C sampled flag. Parent-based samplers copy the parent's
/// flag (remote or local) and ask the root sampler only for roots; the others ignore the parent.
/// The trace-id ratio test is the OpenTelemetry .NET SDK's (<c>TraceIdRatioBasedSampler</c>, checked
/// against 1.20.1): the first 8 bytes of the trace id as a big-endian integer with the sign bit cleared,
/// below <c>(long)(ratio * long.MaxValue)</c>; so every process (and every service on that SDK) reaches
/// the same decision for the same trace.
/// A decision is one compare against a precomputed bound: no allocation, no lock.
/// </summary>
public static class HeadSampler
{
    // One immutable object, swapped whole, so a span never sees half of a reconfiguration.
    private sealed class State
    {
        public readonly HeadSamplerKind Kind;
        public readonly double Ratio;
        public readonly bool ParentBased;
        // Sampled when the magnitude of the trace id's first 8 bytes is below this.
        public readonly ulong Bound;
        public readonly bool RecordsUnsampled;

        public State(HeadSamplerKind kind, double ratio, bool recordsUnsampled)
        {
            Kind = kind;
            Ratio = ratio;
            RecordsUnsampled = recordsUnsampled;
            ParentBased = kind is HeadSamplerKind.ParentBasedAlwaysOn or HeadSamplerKind.ParentBasedAlwaysOff or HeadSamplerKind.ParentBasedTraceIdRatio;
            Bound = kind switch
            {
                HeadSamplerKind.AlwaysOn or HeadSamplerKind.ParentBasedAlwaysOn => ulong.MaxValue,
                HeadSamplerKind.AlwaysOff or HeadSamplerKind.ParentBasedAlwaysOff => 0,
                _ => RatioBound(ratio),
            };
        }
    }

    private static volatile State s_state = FromSettings(SamplingSettings.Current);

    /// <summary>The sampler in use.</summary>
    public static HeadSamplerKind Kind => s_state.Kind;

    /// <summary>The ratio the trace-id ratio samplers use (1 for the others).</summary>
    public static double Ratio => s_state.Ratio;

    /// <summary>
    /// True when spans are recorded even if not sampled (tail sampling is on): the tail stage then sees
    /// every trace and decides what to export. The sampled flag sent to other processes stays the head decision.
    /// </summary>
    public static bool RecordsUnsampled => s_state.RecordsUnsampled;

    /// <summary>
    /// The sampled flag for a span with <paramref name="parent"/> (default for a root) in
    /// <paramref name="traceId"/>.
    /// </summary>
    public static bool ShouldSample(in SpanContext parent, TraceId traceId)
    {
        State state = s_state;
        if (state.ParentBased && parent.IsValid)
        {
            return (parent.TraceFlags & 1) != 0;
        }
        return Magnitude(traceId.High) < state.Bound;
    }

    /// <summary>
    /// The trace flags for a new span (the parent's other bits kept, bit 0 the decision), and whether it
    /// is recorded: when sampled, or always while tail sampling is on. Reads the configuration once.
    /// </summary>
    internal static byte Decide(in SpanContext parent, TraceId traceId, out bool record)
    {
        State state = s_state;
        bool sampled = state.ParentBased && parent.IsValid
            ? (parent.TraceFlags & 1) != 0
            : Magnitude(traceId.High) < state.Bound;
        record = sampled || state.RecordsUnsampled;
        return (byte)((parent.TraceFlags & ~1) | (sampled ? 1 : 0));
    }

    /// <summary>Whether a new root trace with this id is sampled.</summary>
    public static bool ShouldSampleRoot(TraceId traceId) => Magnitude(traceId.High) < s_state.Bound;

    /// <summary>
    /// The trace-id ratio test alone, as the OpenTelemetry .NET SDK computes it: true when this trace id
    /// is in the sampled <paramref name="ratio"/> of all ids. Every process reaches the same answer.
    /// </summary>
    public static bool IsInRatio(TraceId traceId, double ratio) => Magnitude(traceId.High) < RatioBound(ratio);

    /// <summary>
    /// Switches the sampler for spans that start from now on (programmatic configuration; see
    /// <see cref="SamplingSettings.Configure"/> for the whole set). <paramref name="ratio"/> is used by the
    /// trace-id ratio samplers and must be between 0 and 1.
    /// </summary>
    public static void Configure(HeadSamplerKind kind, double ratio = 1.0, bool recordUnsampled = false)
    {
        if (!(ratio >= 0 && ratio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The sampling ratio must be between 0 and 1.");
        }
        s_state = new State(kind, ratio, recordUnsampled);
    }

    /// <summary>Samples every new root (true) or none (false), keeping parent-based behaviour for children.</summary>
    public static void SampleRoots(bool sample) =>
        s_state = new State(sample ? HeadSamplerKind.ParentBasedAlwaysOn : HeadSamplerKind.ParentBasedAlwaysOff, 1.0, s_state.RecordsUnsampled);

    internal static void Apply(SamplingSettings settings) => s_state = FromSettings(settings);

    private static State FromSettings(SamplingSettings settings) =>
        new(settings.Sampler, settings.Ratio, settings.Tail.Policies != TailPolicies.None);

    // The SDK clears the sign bit (IL: ldc.i8 0x7fffffffffffffff; and), it does not take Math.Abs.
    private static ulong Magnitude(ulong high) => high & 0x7FFF_FFFF_FFFF_FFFFUL;

    // The OpenTelemetry .NET SDK's bound, with its special cases for 0 and 1.
    private static ulong RatioBound(double ratio)
    {
        if (ratio <= 0)
        {
            return 0;
        }
        if (ratio >= 1)
        {
            return long.MaxValue;
        }
        return (ulong)(long)(ratio * long.MaxValue);
    }
}
