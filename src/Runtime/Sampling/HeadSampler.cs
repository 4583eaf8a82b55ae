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
    // One immutable object, swapped whole (into the Core layer's HeadDecision.Current, which a starting span
    // reads), so a span never sees half of a reconfiguration.
    private sealed class State : HeadDecision
    {
        public readonly HeadSamplerKind Kind;
        public readonly double Ratio;

        public State(HeadSamplerKind kind, double ratio, bool recordsUnsampled)
            : base(
                parentBased: kind is HeadSamplerKind.ParentBasedAlwaysOn or HeadSamplerKind.ParentBasedAlwaysOff or HeadSamplerKind.ParentBasedTraceIdRatio,
                bound: kind switch
                {
                    HeadSamplerKind.AlwaysOn or HeadSamplerKind.ParentBasedAlwaysOn => ulong.MaxValue,
                    HeadSamplerKind.AlwaysOff or HeadSamplerKind.ParentBasedAlwaysOff => 0,
                    _ => RatioBound(ratio),
                },
                recordsUnsampled)
        {
            Kind = kind;
            Ratio = ratio;
        }
    }

    // The decision in effect; only this class sets it, always to a State (its first value through InitialDecision).
    private static State CurrentState => HeadDecision.Current as State ?? FromSettings(SamplingSettings.Default);

    /// <summary>The sampler in use.</summary>
    public static HeadSamplerKind Kind => CurrentState.Kind;

    /// <summary>The ratio the trace-id ratio samplers use (1 for the others).</summary>
    public static double Ratio => CurrentState.Ratio;

    /// <summary>
    /// True when spans are recorded even if not sampled (tail sampling is on): the tail stage then sees
    /// every trace and decides what to export. The sampled flag sent to other processes stays the head decision.
    /// </summary>
    public static bool RecordsUnsampled => CurrentState.RecordsUnsampled;

    /// <summary>
    /// The sampled flag for a span with <paramref name="parent"/> (default for a root) in
    /// <paramref name="traceId"/>.
    /// </summary>
    public static bool ShouldSample(in SpanContext parent, TraceId traceId)
    {
        State state = CurrentState;
        if (state.ParentBased && parent.IsValid)
        {
            return (parent.TraceFlags & 1) != 0;
        }
        return Magnitude(traceId.High) < state.Bound;
    }

    /// <summary>Whether a new root trace with this id is sampled.</summary>
    public static bool ShouldSampleRoot(TraceId traceId) => Magnitude(traceId.High) < CurrentState.Bound;

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
        HeadDecision.Current = new State(kind, ratio, recordUnsampled);
    }

    /// <summary>Samples every new root (true) or none (false), keeping parent-based behaviour for children.</summary>
    public static void SampleRoots(bool sample) =>
        HeadDecision.Current = new State(sample ? HeadSamplerKind.ParentBasedAlwaysOn : HeadSamplerKind.ParentBasedAlwaysOff, 1.0, CurrentState.RecordsUnsampled);

    internal static void Apply(SamplingSettings settings) => HeadDecision.Current = FromSettings(settings);

    /// <summary>The decision the environment asks for (<see cref="SamplingSettings.Current"/>): what <c>Tracing</c> hands the Core layer as its first.</summary>
    internal static HeadDecision InitialDecision() => FromSettings(SamplingSettings.Current);

    private static State FromSettings(SamplingSettings settings) =>
        new(settings.Sampler, settings.Ratio, settings.Tail.Policies != TailPolicies.None);

    private static ulong Magnitude(ulong high) => HeadDecision.Magnitude(high);

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
