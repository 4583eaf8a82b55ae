using System;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>The part of a span that crosses boundaries (W3C Trace Context): ids, flags and tracestate.</summary>
public readonly struct SpanContext : IEquatable<SpanContext>
{
    /// <summary>Makes a span context.</summary>
    public SpanContext(TraceId traceId, SpanId spanId, byte traceFlags, string? traceState = null, bool isRemote = false)
    {
        TraceId = traceId;
        SpanId = spanId;
        TraceFlags = traceFlags;
        TraceState = traceState;
        IsRemote = isRemote;
    }

    /// <summary>The trace.</summary>
    public TraceId TraceId { get; }
    /// <summary>The span.</summary>
    public SpanId SpanId { get; }
    /// <summary>W3C trace flags: bit 0 is "sampled", bit 1 "random trace id" (Trace Context Level 2).</summary>
    public byte TraceFlags { get; }
    /// <summary>The W3C tracestate header value, or null.</summary>
    public string? TraceState { get; }
    /// <summary>True when this context came from another process.</summary>
    public bool IsRemote { get; }

    /// <summary>True when both ids are valid.</summary>
    public bool IsValid => TraceId.IsValid && SpanId.IsValid;
    /// <summary>True when the sampled flag is set.</summary>
    public bool IsSampled => (TraceFlags & 1) != 0;

    /// <summary>The W3C <c>traceparent</c> header value: <c>00-{trace}-{span}-{flags}</c>.</summary>
    public string ToTraceParent() => TraceParent.Format(this);

    /// <inheritdoc/>
    public override string ToString() => ToTraceParent();
    /// <inheritdoc/>
    public bool Equals(SpanContext other) =>
        TraceId == other.TraceId && SpanId == other.SpanId && TraceFlags == other.TraceFlags && TraceState == other.TraceState && IsRemote == other.IsRemote;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SpanContext other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TraceId, SpanId, TraceFlags);
}
