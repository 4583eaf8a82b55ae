using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using OtelGen.Configuration;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Activities;

/// <summary>
/// Rewrites the ids of a started <see cref="Activity"/>. .NET gives an Activity its parent when it is created
/// (from <c>Activity.Current</c>) and offers no way to name another one afterwards; but OtelGen's spans are not
/// Activities, so a library Activity started inside an OtelGen span would otherwise hang off the outer
/// Activity (or start a trace of its own). Reparenting writes the trace id and parent span id the Activity
/// keeps as hex strings, and drops the ids it derived from them, so that every public getter (TraceId,
/// ParentSpanId, ParentId, Id, Context) and everything downstream (HttpClient's <c>traceparent</c>, the
/// OpenTelemetry SDK's exporters) agree. Private fields of System.Diagnostics.DiagnosticSource: a probe at
/// first use rewrites a test Activity and reads it back through the public API; if the fields are missing or
/// mean something else in this runtime, rewriting is off, with one warning, and OtelGen fixes the parent only
/// in what it exports itself.
/// </summary>
internal static class ActivityIds
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_traceId")]
    private static extern ref string? TraceIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_spanId")]
    private static extern ref string? SpanIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_parentSpanId")]
    private static extern ref string? ParentSpanIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_parentId")]
    private static extern ref string? ParentIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_id")]
    private static extern ref string? IdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_parentTraceFlags")]
    private static extern ref byte ParentTraceFlagsField(Activity activity);

    private static readonly bool s_works = Probe();

    /// <summary>Whether this runtime's Activity can be rewritten (the probe passed).</summary>
    internal static bool CanRewrite => s_works;

    /// <summary>
    /// Makes a started W3C <paramref name="activity"/> a child of <paramref name="parent"/>: its trace id,
    /// parent span id and sampled flag become the parent's; its own span id stays. False (and nothing changed)
    /// when rewriting is off.
    /// </summary>
    internal static bool TryReparent(Activity activity, in SpanContext parent, bool sampled)
    {
        if (!s_works || activity.IdFormat != ActivityIdFormat.W3C || !parent.IsValid)
        {
            return false;
        }
        Write(activity, parent.TraceId.ToHexString(), spanId: null, parent.SpanId.ToHexString(), parent.TraceFlags, sampled);
        return true;
    }

    /// <summary>
    /// Gives a started W3C <paramref name="activity"/> the ids of a span recorded elsewhere (the OpenTelemetry
    /// bridge hands OtelGen's spans to the SDK as Activities that must keep OtelGen's ids). False when rewriting is off.
    /// </summary>
    internal static bool TrySetIds(Activity activity, TraceId traceId, SpanId spanId, SpanId parentSpanId, byte parentFlags, bool sampled)
    {
        if (!s_works || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return false;
        }
        Write(activity, traceId.ToHexString(), spanId.ToHexString(), parentSpanId.IsValid ? parentSpanId.ToHexString() : null, parentFlags, sampled);
        return true;
    }

    private static void Write(Activity activity, string traceId, string? spanId, string? parentSpanId, byte parentFlags, bool sampled)
    {
        TraceIdField(activity) = traceId;
        if (spanId is not null)
        {
            SpanIdField(activity) = spanId;
        }
        ParentSpanIdField(activity) = parentSpanId;
        ParentTraceFlagsField(activity) = parentFlags;
        // Derived lazily from the fields above: dropped so that they are derived again.
        ParentIdField(activity) = null;
        IdField(activity) = null;
        // The sampled flag as decided for this Activity; W3C's random-trace-id flag (0x02) goes with the trace id.
        activity.ActivityTraceFlags = (ActivityTraceFlags)((parentFlags & TraceParent.RandomTraceIdFlag) | (sampled ? TraceParent.SampledFlag : 0));
    }

    private static bool Probe()
    {
        try
        {
            var probe = new Activity("otelgen.probe");
            probe.SetIdFormat(ActivityIdFormat.W3C);
            // Started detached: never Activity.Current, never seen by listeners of a source.
            probe.SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom());
            probe.Start();
            probe.Stop();
            _ = probe.Id;
            _ = probe.ParentId;
            var trace = new TraceId(0x0123456789abcdefUL, 0x0fedcba987654321UL);
            var span = new SpanId(0x1122334455667788UL);
            var parent = new SpanId(0x8877665544332211UL);
            Write(probe, trace.ToHexString(), span.ToHexString(), parent.ToHexString(), 1, sampled: true);
            bool ok = probe.TraceId.ToHexString() == trace.ToHexString()
                && probe.SpanId.ToHexString() == span.ToHexString()
                && probe.ParentSpanId.ToHexString() == parent.ToHexString()
                && probe.Id == "00-" + trace.ToHexString() + "-" + span.ToHexString() + "-01"
                && probe.ParentId == "00-" + trace.ToHexString() + "-" + parent.ToHexString() + "-01"
                && probe.Context.TraceId.ToHexString() == trace.ToHexString()
                && probe.Recorded;
            if (!ok)
            {
                Diagnostics.Warn("this runtime's System.Diagnostics.Activity does not keep its ids where OtelGen expects them; library Activities started inside OtelGen spans keep the parent .NET gave them (OtelGen still exports them under the right parent).");
            }
            return ok;
        }
        catch (Exception e) when (e is MissingFieldException or MissingMemberException or MemberAccessException or InvalidProgramException)
        {
            Diagnostics.Warn("this runtime's System.Diagnostics.Activity has no fields OtelGen can rewrite (" + e.GetType().Name + "); library Activities started inside OtelGen spans keep the parent .NET gave them (OtelGen still exports them under the right parent).");
            return false;
        }
    }
}
