using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OtelGen.Configuration;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// <c>GET {dashboard}/api/traces/{traceId}</c>: every span of one trace with all it carries (ids, kind,
/// times, status, attributes, events, links), the process resource and the trace's log lines, as JSON. Written with
/// <see cref="Utf8JsonWriter"/>'s default encoder, which also escapes <c>&lt; &gt; &amp; ' "</c>; the page
/// inserts every value with <c>textContent</c>.
/// </summary>
internal static class DashboardJson
{
    private static readonly Lazy<KeyValue[]> s_resource = new(() => OtlpResource.Create().Attributes);

    /// <summary>
    /// The resource this process reports: the running OTLP exporter's (<see cref="OtlpExporter.Current"/>: the
    /// environment's resource with what the exporter was given in code, <see cref="OtlpOptions.ResourceAttributes"/>
    /// and <see cref="OtlpOptions.ServiceName"/>), else what <see cref="OtlpResource"/> builds from the environment
    /// (<c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>, <c>telemetry.sdk.*</c>). A service name set in the
    /// dashboard's options in code (one that is not <c>OTEL_SERVICE_NAME</c>, its default) replaces <c>service.name</c>.
    /// </summary>
    public static KeyValue[] Resource(string? serviceName)
    {
        KeyValue[] resource = OtlpExporter.Current is { IsStopped: false } exporter ? exporter.Resource.Attributes : s_resource.Value;
        if (serviceName is null || serviceName == EnvironmentSettings.Get("OTEL_SERVICE_NAME")
            || resource.Length == 0 || resource[0].Key != "service.name" || resource[0].Value.ToString() == serviceName)
        {
            return resource;
        }
        var copy = (KeyValue[])resource.Clone();
        copy[0] = new KeyValue("service.name", serviceName);
        return copy;
    }

    public static byte[] Trace(TraceView view, List<SpanRecord> spans, KeyValue[] resource, Func<TraceId, bool> inRing, IReadOnlyList<TraceLogLine> logs, TraceSummary summary)
    {
        var buffer = new ArrayBufferWriter<byte>(8192);
        using (var json = new Utf8JsonWriter(buffer))
        {
            long start = view.Root.StartUnixNano;
            foreach (SpanRecord span in spans)
            {
                start = Math.Min(start, span.StartUnixNano);
            }
            json.WriteStartObject();
            json.WriteString("traceId", view.TraceIdHex);
            json.WriteString("name", view.Root.Name);
            json.WriteString("rootSpanId", view.Root.SpanId.ToHexString());
            json.WriteNumber("startUnixNano", start);
            json.WriteNumber("durationNanos", view.Root.DurationNanos);
            // How many spans are ERROR (the root or below it): what the trace list marks and errors=1 keeps.
            json.WriteNumber("errorSpans", summary.ErrorSpans);
            json.WritePropertyName("resource");
            Attributes(json, resource);
            json.WriteStartArray("spans");
            foreach (SpanRecord span in spans)
            {
                Span(json, span, start, inRing);
            }
            json.WriteEndArray();
            // The trace's log lines (TraceLogStore), oldest first, shown under the waterfall, each linked to its span.
            json.WriteStartArray("logs");
            foreach (TraceLogLine line in logs)
            {
                json.WriteStartObject();
                json.WriteNumber("timeUnixNano", line.TimeUnixNano);
                json.WriteString("severity", line.Severity);
                json.WriteString("body", line.Body);
                json.WriteString("spanId", line.SpanId.ToHexString());
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Span(Utf8JsonWriter json, SpanRecord span, long traceStart, Func<TraceId, bool> inRing)
    {
        json.WriteStartObject();
        json.WriteString("spanId", span.SpanId.ToHexString());
        if (span.ParentSpanId.IsValid)
        {
            json.WriteString("parentSpanId", span.ParentSpanId.ToHexString());
            json.WriteBoolean("parentIsRemote", span.ParentIsRemote);
        }
        else
        {
            json.WriteNull("parentSpanId");
        }
        json.WriteString("name", span.Name);
        json.WriteString("kind", Kind(span.Kind));
        json.WriteNumber("startUnixNano", span.StartUnixNano);
        json.WriteNumber("offsetNanos", span.StartUnixNano - traceStart);
        json.WriteNumber("durationNanos", span.DurationNanos);
        json.WriteStartObject("status");
        json.WriteString("code", span.StatusCode switch { SpanStatusCode.Error => "ERROR", SpanStatusCode.Ok => "OK", _ => "UNSET" });
        if (!string.IsNullOrEmpty(span.StatusMessage))
        {
            json.WriteString("message", span.StatusMessage);
        }
        json.WriteEndObject();

        json.WritePropertyName("attributes");
        json.WriteStartArray();
        for (int i = 0; i < span.TotalAttributeCount; i++)
        {
            Attribute(json, span.AttributeAt(i));
        }
        json.WriteEndArray();
        json.WriteNumber("droppedAttributes", span.DroppedAttributes);

        json.WriteStartArray("events");
        for (int i = 0; i < span.EventCount; i++)
        {
            ref readonly SpanEvent e = ref span.Events[i];
            json.WriteStartObject();
            json.WriteString("name", e.Name);
            json.WriteNumber("timeUnixNano", e.TimeUnixNano);
            json.WriteNumber("offsetNanos", e.TimeUnixNano - span.StartUnixNano);
            json.WritePropertyName("attributes");
            Attributes(json, span.NestedRange(e.AttributeStart, e.AttributeCount));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("droppedEvents", span.DroppedEvents);

        json.WriteStartArray("links");
        for (int i = 0; i < span.LinkCount; i++)
        {
            ref readonly SpanLink link = ref span.Links[i];
            json.WriteStartObject();
            json.WriteString("traceId", link.TraceId.ToHexString());
            json.WriteString("spanId", link.SpanId.ToHexString());
            json.WriteBoolean("inDashboard", inRing(link.TraceId));
            if (!string.IsNullOrEmpty(link.TraceState))
            {
                json.WriteString("traceState", link.TraceState);
            }
            json.WritePropertyName("attributes");
            Attributes(json, span.NestedRange(link.AttributeStart, link.AttributeCount));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("droppedLinks", span.DroppedLinks);
        json.WriteEndObject();
    }

    private static void Attributes(Utf8JsonWriter json, ReadOnlySpan<KeyValue> attributes)
    {
        json.WriteStartArray();
        foreach (KeyValue kv in attributes)
        {
            Attribute(json, kv);
        }
        json.WriteEndArray();
    }

    /// <summary><c>{"key":…, "type":"string|bool|int|double|string[]|bool[]|int[]|double[]", "value":…}</c>; a non-finite double is its text ("NaN").</summary>
    private static void Attribute(Utf8JsonWriter json, in KeyValue kv)
    {
        json.WriteStartObject();
        json.WriteString("key", kv.Key);
        AttributeValue v = kv.Value;
        switch (v.Type)
        {
            case AttributeType.Bool:
                json.WriteString("type", "bool");
                json.WriteBoolean("value", v.AsBool());
                break;
            case AttributeType.Long:
                json.WriteString("type", "int");
                json.WriteNumber("value", v.AsLong());
                break;
            case AttributeType.Double:
                json.WriteString("type", "double");
                json.WritePropertyName("value");
                Double(json, v.AsDouble());
                break;
            case AttributeType.StringArray:
                json.WriteString("type", "string[]");
                json.WriteStartArray("value");
                foreach (string? s in v.AsStringArray())
                {
                    json.WriteStringValue(s);
                }
                json.WriteEndArray();
                break;
            case AttributeType.BoolArray:
                json.WriteString("type", "bool[]");
                json.WriteStartArray("value");
                foreach (bool b in v.AsBoolArray())
                {
                    json.WriteBooleanValue(b);
                }
                json.WriteEndArray();
                break;
            case AttributeType.LongArray:
                json.WriteString("type", "int[]");
                json.WriteStartArray("value");
                foreach (long l in v.AsLongArray())
                {
                    json.WriteNumberValue(l);
                }
                json.WriteEndArray();
                break;
            case AttributeType.DoubleArray:
                json.WriteString("type", "double[]");
                json.WriteStartArray("value");
                foreach (double d in v.AsDoubleArray())
                {
                    Double(json, d);
                }
                json.WriteEndArray();
                break;
            case AttributeType.String:
                json.WriteString("type", "string");
                json.WriteString("value", v.AsString());
                break;
            default:
                json.WriteString("type", v.Type.ToString());
                json.WriteString("value", v.ToString());
                break;
        }
        json.WriteEndObject();
    }

    private static void Double(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string Kind(ActivityKind kind) => kind switch
    {
        ActivityKind.Server => "SERVER",
        ActivityKind.Client => "CLIENT",
        ActivityKind.Producer => "PRODUCER",
        ActivityKind.Consumer => "CONSUMER",
        _ => "INTERNAL",
    };
}
