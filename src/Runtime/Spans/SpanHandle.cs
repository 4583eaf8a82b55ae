using System;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// A reference to an open span (one a generated interceptor opened, or one from <see cref="Tracing.StartSpan"/>):
/// enrich it with attributes, events, links and status. Does nothing once the span has ended, and never
/// throws. Attribute setters take each OTLP value type directly, so nothing is boxed.
/// </summary>
public readonly struct SpanHandle
{
    private readonly SpanRef _span;

    internal SpanHandle(ActiveSpan? span)
    {
        _span = SpanRef.To(span);
    }

    private ActiveSpan? Live => _span.Open;

    /// <summary>True while the span is open and sampled (so enrichment is kept).</summary>
    public bool IsRecording => Live is { Recording: true };

    /// <summary>The span's context, or default when there is no open span.</summary>
    public SpanContext Context => Live is { } s ? s.Context : default;

    /// <summary>The trace id as 32 hex characters, or null when there is no open span (allocates: for logs and responses).</summary>
    public string? TraceId => Live is { } s ? s.Record.TraceId.ToHexString() : null;

    /// <summary>The span id as 16 hex characters, or null when there is no open span.</summary>
    public string? SpanId => Live is { } s ? s.Record.SpanId.ToHexString() : null;

    /// <summary>Sets a string attribute.</summary>
    public SpanHandle SetAttribute(string key, string? value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets an integer attribute.</summary>
    public SpanHandle SetAttribute(string key, long value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets a floating-point attribute.</summary>
    public SpanHandle SetAttribute(string key, double value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets a boolean attribute.</summary>
    public SpanHandle SetAttribute(string key, bool value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets a string-array attribute (the array is kept: do not change it afterwards).</summary>
    public SpanHandle SetAttribute(string key, string[] value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets an integer-array attribute.</summary>
    public SpanHandle SetAttribute(string key, long[] value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets a double-array attribute.</summary>
    public SpanHandle SetAttribute(string key, double[] value) => Set(key, AttributeValue.Of(value));
    /// <summary>Sets a boolean-array attribute.</summary>
    public SpanHandle SetAttribute(string key, bool[] value) => Set(key, AttributeValue.Of(value));

    /// <summary>Sets an attribute of any supported type.</summary>
    public SpanHandle Set(string key, AttributeValue value)
    {
        try
        {
            Live?.Record.SetAttribute(key, value);
        }
        catch
        {
            // Enrichment never throws into the application (e.g. a racing writer on another thread).
        }
        return this;
    }

    /// <summary>Adds an event now, with attributes.</summary>
    public SpanHandle AddEvent(string name, ReadOnlySpan<KeyValue> attributes = default)
    {
        try
        {
            Live?.Record.AddEvent(name, SpanClock.NowUnixNanos(), attributes);
        }
        catch
        {
        }
        return this;
    }

    /// <summary>Adds a link to another span (for example the work items a reduce step consumes).</summary>
    public SpanHandle AddLink(SpanContext linked, ReadOnlySpan<KeyValue> attributes = default)
    {
        try
        {
            if (linked.IsValid)
            {
                Live?.Record.AddLink(linked.TraceId, linked.SpanId, linked.TraceFlags, linked.TraceState, attributes, linked.IsRemote);
            }
        }
        catch
        {
        }
        return this;
    }

    /// <summary>Sets the status; a description is kept only with <see cref="SpanStatusCode.Error"/>, as OTLP requires.</summary>
    public SpanHandle SetStatus(SpanStatusCode code, string? description = null)
    {
        if (Live is { } span)
        {
            span.Record.StatusCode = code;
            span.Record.StatusMessage = code == SpanStatusCode.Error ? description : null;
        }
        return this;
    }

    /// <summary>Records an exception: the <c>exception</c> event, <c>error.type</c> and ERROR status.</summary>
    public SpanHandle RecordException(Exception exception)
    {
        Live?.RecordException(exception);
        return this;
    }

    /// <summary>
    /// Moves the span's start back to <paramref name="startUnixNano"/> (never forward): for work whose
    /// trace is known only after it began, such as a queue claim that learns its trace from the row it
    /// claimed. Times are Unix nanoseconds from <see cref="SpanClock.NowUnixNanos"/>.
    /// </summary>
    public SpanHandle SetStartTime(long startUnixNano)
    {
        if (Live is { } span && startUnixNano > 0 && startUnixNano < span.Record.StartUnixNano)
        {
            span.Record.StartUnixNano = startUnixNano;
        }
        return this;
    }

    /// <summary>Renames the span (e.g. once the route is known).</summary>
    public SpanHandle UpdateName(string name)
    {
        if (Live is { } span && name is not null)
        {
            span.Record.Name = name;
        }
        return this;
    }
}
