using System.Text.Json;

namespace OtelGen.Export.Otlp;

/// <summary>
/// The OTLP/JSON field names, encoded once, for every signal: the trace and metrics encoders and
/// <see cref="OtlpJsonWriter"/> (attributes, resource, scope) write the same names from this one table.
/// </summary>
internal static class OtlpJsonFields
{
    internal static readonly JsonEncodedText AggregationTemporality = JsonEncodedText.Encode("aggregationTemporality");
    internal static readonly JsonEncodedText ArrayValue = JsonEncodedText.Encode("arrayValue");
    internal static readonly JsonEncodedText AsDouble = JsonEncodedText.Encode("asDouble");
    internal static readonly JsonEncodedText AsInt = JsonEncodedText.Encode("asInt");
    internal static readonly JsonEncodedText Attributes = JsonEncodedText.Encode("attributes");
    internal static readonly JsonEncodedText BoolValue = JsonEncodedText.Encode("boolValue");
    internal static readonly JsonEncodedText BucketCounts = JsonEncodedText.Encode("bucketCounts");
    internal static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
    internal static readonly JsonEncodedText Count = JsonEncodedText.Encode("count");
    internal static readonly JsonEncodedText DataPoints = JsonEncodedText.Encode("dataPoints");
    internal static readonly JsonEncodedText Description = JsonEncodedText.Encode("description");
    internal static readonly JsonEncodedText DoubleValue = JsonEncodedText.Encode("doubleValue");
    internal static readonly JsonEncodedText DroppedAttributesCount = JsonEncodedText.Encode("droppedAttributesCount");
    internal static readonly JsonEncodedText DroppedEventsCount = JsonEncodedText.Encode("droppedEventsCount");
    internal static readonly JsonEncodedText DroppedLinksCount = JsonEncodedText.Encode("droppedLinksCount");
    internal static readonly JsonEncodedText EndTimeUnixNano = JsonEncodedText.Encode("endTimeUnixNano");
    internal static readonly JsonEncodedText Events = JsonEncodedText.Encode("events");
    internal static readonly JsonEncodedText Exemplars = JsonEncodedText.Encode("exemplars");
    internal static readonly JsonEncodedText ExplicitBounds = JsonEncodedText.Encode("explicitBounds");
    internal static readonly JsonEncodedText ExponentialHistogram = JsonEncodedText.Encode("exponentialHistogram");
    internal static readonly JsonEncodedText Flags = JsonEncodedText.Encode("flags");
    internal static readonly JsonEncodedText Gauge = JsonEncodedText.Encode("gauge");
    internal static readonly JsonEncodedText Histogram = JsonEncodedText.Encode("histogram");
    internal static readonly JsonEncodedText IntValue = JsonEncodedText.Encode("intValue");
    internal static readonly JsonEncodedText IsMonotonic = JsonEncodedText.Encode("isMonotonic");
    internal static readonly JsonEncodedText Key = JsonEncodedText.Encode("key");
    internal static readonly JsonEncodedText Kind = JsonEncodedText.Encode("kind");
    internal static readonly JsonEncodedText Links = JsonEncodedText.Encode("links");
    internal static readonly JsonEncodedText Max = JsonEncodedText.Encode("max");
    internal static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    internal static readonly JsonEncodedText Metrics = JsonEncodedText.Encode("metrics");
    internal static readonly JsonEncodedText Min = JsonEncodedText.Encode("min");
    internal static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    internal static readonly JsonEncodedText Negative = JsonEncodedText.Encode("negative");
    internal static readonly JsonEncodedText Offset = JsonEncodedText.Encode("offset");
    internal static readonly JsonEncodedText ParentSpanId = JsonEncodedText.Encode("parentSpanId");
    internal static readonly JsonEncodedText Positive = JsonEncodedText.Encode("positive");
    internal static readonly JsonEncodedText Resource = JsonEncodedText.Encode("resource");
    internal static readonly JsonEncodedText ResourceMetrics = JsonEncodedText.Encode("resourceMetrics");
    internal static readonly JsonEncodedText ResourceSpans = JsonEncodedText.Encode("resourceSpans");
    internal static readonly JsonEncodedText Scale = JsonEncodedText.Encode("scale");
    internal static readonly JsonEncodedText Scope = JsonEncodedText.Encode("scope");
    internal static readonly JsonEncodedText ScopeMetrics = JsonEncodedText.Encode("scopeMetrics");
    internal static readonly JsonEncodedText ScopeSpans = JsonEncodedText.Encode("scopeSpans");
    internal static readonly JsonEncodedText SpanId = JsonEncodedText.Encode("spanId");
    internal static readonly JsonEncodedText Spans = JsonEncodedText.Encode("spans");
    internal static readonly JsonEncodedText StartTimeUnixNano = JsonEncodedText.Encode("startTimeUnixNano");
    internal static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
    internal static readonly JsonEncodedText StringValue = JsonEncodedText.Encode("stringValue");
    internal static readonly JsonEncodedText Sum = JsonEncodedText.Encode("sum");
    internal static readonly JsonEncodedText TimeUnixNano = JsonEncodedText.Encode("timeUnixNano");
    internal static readonly JsonEncodedText TraceId = JsonEncodedText.Encode("traceId");
    internal static readonly JsonEncodedText TraceState = JsonEncodedText.Encode("traceState");
    internal static readonly JsonEncodedText Unit = JsonEncodedText.Encode("unit");
    internal static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    internal static readonly JsonEncodedText Values = JsonEncodedText.Encode("values");
    internal static readonly JsonEncodedText Version = JsonEncodedText.Encode("version");
    internal static readonly JsonEncodedText ZeroCount = JsonEncodedText.Encode("zeroCount");
}
