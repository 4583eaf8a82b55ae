using System;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// The head sampling decision a span takes as it starts: its W3C sampled flag, and whether it is recorded.
/// Parent-based samplers copy the parent's flag (remote or local) and test the trace id only for roots; the
/// others ignore the parent. The settings belong to the Sampling layer (<c>HeadSampler</c> swaps a subclass
/// in whole, so a span never sees half of a reconfiguration); the first one comes from there too, through
/// <see cref="Hooks.Initial"/>, which <c>Tracing</c> sets when the assembly loads. A decision is one compare
/// against a precomputed bound: no allocation, no lock.
/// </summary>
internal class HeadDecision
{
    /// <summary>A span with a valid parent follows the parent's sampled flag.</summary>
    internal readonly bool ParentBased;

    /// <summary>Sampled when the magnitude of the trace id's first 8 bytes is below this.</summary>
    internal readonly ulong Bound;

    /// <summary>Spans are recorded even when not sampled (tail sampling is on).</summary>
    internal readonly bool RecordsUnsampled;

    private static volatile HeadDecision s_current = Hooks.Initial?.Invoke() ?? new HeadDecision(parentBased: true, ulong.MaxValue, recordsUnsampled: false);

    internal HeadDecision(bool parentBased, ulong bound, bool recordsUnsampled)
    {
        ParentBased = parentBased;
        Bound = bound;
        RecordsUnsampled = recordsUnsampled;
    }

    /// <summary>The settings spans that start now use.</summary>
    internal static HeadDecision Current
    {
        get => s_current;
        set => s_current = value;
    }

    /// <summary>
    /// The trace flags for a new span (the parent's random-trace-id bit kept, bit 0 the decision, the
    /// undefined bits zero), and whether it is recorded: when sampled, or always while tail sampling is on.
    /// Reads the configuration once.
    /// </summary>
    internal static byte Decide(in SpanContext parent, TraceId traceId, out bool record)
    {
        HeadDecision state = s_current;
        bool sampled = state.ParentBased && parent.IsValid
            ? (parent.TraceFlags & 1) != 0
            : Magnitude(traceId.High) < state.Bound;
        record = sampled || state.RecordsUnsampled;
        return (byte)((parent.TraceFlags & TraceParent.RandomTraceIdFlag) | (sampled ? TraceParent.SampledFlag : 0));
    }

    /// <summary>The first 8 bytes of a trace id with the sign bit cleared, as the OpenTelemetry .NET SDK reads them (IL: ldc.i8 0x7fffffffffffffff; and), not Math.Abs.</summary>
    internal static ulong Magnitude(ulong high) => high & 0x7FFF_FFFF_FFFF_FFFFUL;

    /// <summary>
    /// Whether <see cref="Decide"/> looks at the trace id for a span under <paramref name="parent"/> (a ratio applies):
    /// a caller that would have to compute one (an Activity's, from its hex text) can skip it otherwise.
    /// </summary>
    internal static bool NeedsTraceId(in SpanContext parent)
    {
        HeadDecision state = s_current;
        return !(state.ParentBased && parent.IsValid) && state.Bound <= 0x7FFF_FFFF_FFFF_FFFFUL;
    }

    /// <summary>Set once by <c>Tracing</c>'s module initializer, before any span. A class of its own, so that setting it does not run the decision's static initializer.</summary>
    internal static class Hooks
    {
        /// <summary>The settings in effect at start (the environment's, resolved by the Sampling layer).</summary>
        internal static Func<HeadDecision>? Initial;
    }
}
