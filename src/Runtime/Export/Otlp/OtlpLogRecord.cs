using System;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// One log record waiting for OTLP export (<c>LogRecord</c> of opentelemetry/proto/logs/v1): times, severity, body,
/// attributes, the trace context it was written in, its category (the instrumentation scope) and event id.
/// A value in the exporter's queue; the attributes are copied into arrays the queue keeps and reuses.
/// </summary>
internal struct OtlpLogRecord
{
    /// <summary>When the event happened (Unix nanoseconds).</summary>
    public long TimeUnixNano;
    /// <summary>When the record was observed (Unix nanoseconds); the same as <see cref="TimeUnixNano"/> for in-process logs.</summary>
    public long ObservedTimeUnixNano;
    /// <summary>OTLP SeverityNumber (1 TRACE … 21 FATAL; 0 unspecified).</summary>
    public int SeverityNumber;
    /// <summary>The severity as the source names it (e.g. <c>Information</c>).</summary>
    public string? SeverityText;
    /// <summary>The formatted message.</summary>
    public string? Body;
    /// <summary>
    /// When <see cref="Body"/> is null and this is set, the body is made on the export thread, before encoding, by
    /// <c>BodyRenderer(BodyState, BodyFormatter)</c>: a logger that hands over the state of a message whose values cannot
    /// change (numbers, strings) instead of formatting it on the logging thread.
    /// </summary>
    public Func<object, Delegate, string?>? BodyRenderer;
    /// <summary>The message's state (boxed) for <see cref="BodyRenderer"/>.</summary>
    public object? BodyState;
    /// <summary>The message's formatter for <see cref="BodyRenderer"/>.</summary>
    public Delegate? BodyFormatter;
    /// <summary>The attributes (only the first <see cref="AttributeCount"/> are set).</summary>
    public KeyValue[]? Attributes;
    /// <summary>How many of <see cref="Attributes"/> are set.</summary>
    public int AttributeCount;
    /// <summary>The trace the record was written in (invalid: none).</summary>
    public TraceId TraceId;
    /// <summary>The span the record was written in (invalid: none).</summary>
    public SpanId SpanId;
    /// <summary>W3C trace flags of that span.</summary>
    public byte TraceFlags;
    /// <summary>The logger's category: the instrumentation scope name.</summary>
    public string? Category;
    /// <summary>The event id (0: none), sent as <c>event.id</c>.</summary>
    public int EventId;
    /// <summary>The event name (null: none), sent as <c>event.name</c>.</summary>
    public string? EventName;

    /// <summary>Unix nanoseconds of <paramref name="utc"/>.</summary>
    public static long UnixNanos(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>The set attributes.</summary>
    public readonly ReadOnlySpan<KeyValue> AttributeSpan => Attributes is null ? default : Attributes.AsSpan(0, AttributeCount);
}
