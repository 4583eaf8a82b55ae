using System;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// Enrichment of the current span that the scopes do not offer yet: links, attributes set from inside an
/// async call, and a start time taken before the span's parent was known (a queue claim learns its
/// trace from the row it claimed). For the samples until the public Tracer API covers it.
/// </summary>
internal static class SpanAccess
{
    /// <summary>Adds a link from the current span to <paramref name="linked"/>; false when there is no recording span.</summary>
    public static bool AddLink(in SpanContext linked, ReadOnlySpan<KeyValue> attributes = default)
    {
        ActiveSpan? span = SpanContexts.CurrentSpan();
        if (span is null || !span.Recording || !linked.IsValid)
        {
            return false;
        }
        span.Record.AddLink(linked.TraceId, linked.SpanId, linked.TraceFlags, linked.TraceState, attributes);
        return true;
    }

    /// <summary>Sets an attribute on the current span, if any.</summary>
    public static void SetAttribute(string key, AttributeValue value)
    {
        ActiveSpan? span = SpanContexts.CurrentSpan();
        if (span is not null && span.Recording)
        {
            span.Record.SetAttribute(key, value);
        }
    }

    /// <summary>Moves the current span's start back to <paramref name="startUnixNano"/> (never forward).</summary>
    public static void SetStartTime(long startUnixNano)
    {
        ActiveSpan? span = SpanContexts.CurrentSpan();
        if (span is not null && startUnixNano > 0 && startUnixNano < span.Record.StartUnixNano)
        {
            span.Record.StartUnixNano = startUnixNano;
        }
    }
}
