using System;
using System.Collections.Generic;
using System.Text.Json;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// Encodes a batch of <see cref="OtlpLogRecord"/>s as one <c>ExportLogsServiceRequest</c>
/// (opentelemetry/proto/collector/logs/v1), protobuf or OTLP/JSON: one <c>ResourceLogs</c> with the resource, one
/// <c>ScopeLogs</c> per category (the scope name), records in the order given. Event id and name go out as the
/// attributes <c>event.id</c> and <c>event.name</c>.
/// </summary>
internal sealed class OtlpLogsEncoder
{
    // ExportLogsServiceRequest / ResourceLogs / ScopeLogs
    private const int RequestResourceLogs = 1, ResourceLogsResource = 1, ResourceLogsScopeLogs = 2, ScopeLogsScope = 1, ScopeLogsLogRecords = 2;
    // LogRecord
    private const int LogTime = 1, LogSeverityNumber = 2, LogSeverityText = 3, LogBody = 5, LogAttributes = 6, LogFlags = 8,
        LogTraceId = 9, LogSpanId = 10, LogObservedTime = 11;
    // AnyValue.string_value
    private const int AnyString = 1;

    private static readonly JsonEncodedText ResourceLogs = JsonEncodedText.Encode("resourceLogs");
    private static readonly JsonEncodedText ScopeLogs = JsonEncodedText.Encode("scopeLogs");
    private static readonly JsonEncodedText LogRecords = JsonEncodedText.Encode("logRecords");
    private static readonly JsonEncodedText ObservedTimeUnixNano = JsonEncodedText.Encode("observedTimeUnixNano");
    private static readonly JsonEncodedText SeverityNumber = JsonEncodedText.Encode("severityNumber");
    private static readonly JsonEncodedText SeverityText = JsonEncodedText.Encode("severityText");
    private static readonly JsonEncodedText Body = JsonEncodedText.Encode("body");
    private static readonly JsonEncodedText EventIdKey = JsonEncodedText.Encode("event.id");
    private static readonly JsonEncodedText EventNameKey = JsonEncodedText.Encode("event.name");
    private static readonly byte[] EventIdField = OtlpProtobuf.EncodeKeyField("event.id");
    private static readonly byte[] EventNameField = OtlpProtobuf.EncodeKeyField("event.name");

    private readonly OtlpResource _resource;
    private readonly ProtobufWriter _protobuf = new(new PooledBuffer(256));
    private readonly List<string> _scopes = new();
    private Utf8JsonWriter? _json;

    /// <summary>An encoder for logs of <paramref name="resource"/>.</summary>
    public OtlpLogsEncoder(OtlpResource resource) => _resource = resource ?? throw new ArgumentNullException(nameof(resource));

    /// <summary>Appends the request for <paramref name="records"/> to <paramref name="output"/> in <paramref name="protocol"/>'s encoding.</summary>
    public void Encode(ReadOnlySpan<OtlpLogRecord> records, PooledBuffer output, OtlpProtocol protocol)
    {
        if (protocol == OtlpProtocol.HttpJson)
        {
            EncodeJson(records, output);
        }
        else
        {
            EncodeProtobuf(records, output);
        }
    }

    /// <summary>Appends a protobuf <c>ExportLogsServiceRequest</c>.</summary>
    public void EncodeProtobuf(ReadOnlySpan<OtlpLogRecord> records, PooledBuffer output)
    {
        ProtobufWriter w = _protobuf;
        w.Reset(output);
        w.BeginMessage(RequestResourceLogs, 3);
        OtlpProtobuf.WriteResource(w, ResourceLogsResource, _resource);
        foreach (string scope in Scopes(records))
        {
            w.BeginMessage(ResourceLogsScopeLogs, 3);
            OtlpProtobuf.WriteScope(w, ScopeLogsScope, scope, null);
            foreach (ref readonly OtlpLogRecord record in records)
            {
                if (string.Equals(record.Category ?? string.Empty, scope, StringComparison.Ordinal))
                {
                    WriteRecord(w, record);
                }
            }
            w.EndMessage();
        }
        w.EndMessage();
    }

    /// <summary>Appends an OTLP/JSON <c>ExportLogsServiceRequest</c> (one line).</summary>
    public void EncodeJson(ReadOnlySpan<OtlpLogRecord> records, PooledBuffer output)
    {
        Utf8JsonWriter json = _json ??= new Utf8JsonWriter(output, OtlpJsonWriter.Options);
        json.Reset(output);
        json.WriteStartObject();
        json.WriteStartArray(ResourceLogs);
        json.WriteStartObject();
        OtlpJsonWriter.WriteResource(json, OtlpJsonFields.Resource, _resource);
        json.WriteStartArray(ScopeLogs);
        foreach (string scope in Scopes(records))
        {
            json.WriteStartObject();
            OtlpJsonWriter.WriteScope(json, OtlpJsonFields.Scope, scope, null);
            json.WriteStartArray(LogRecords);
            foreach (ref readonly OtlpLogRecord record in records)
            {
                if (string.Equals(record.Category ?? string.Empty, scope, StringComparison.Ordinal))
                {
                    WriteRecord(json, record);
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
    }

    // The distinct categories, in first-seen order (few per batch: a linear scan).
    private List<string> Scopes(ReadOnlySpan<OtlpLogRecord> records)
    {
        List<string> scopes = _scopes;
        scopes.Clear();
        foreach (ref readonly OtlpLogRecord record in records)
        {
            string category = record.Category ?? string.Empty;
            if (!scopes.Contains(category))
            {
                scopes.Add(category);
            }
        }
        return scopes;
    }

    private static void WriteRecord(ProtobufWriter w, in OtlpLogRecord record)
    {
        w.BeginMessage(ScopeLogsLogRecords, 2);
        w.WriteFixed64(LogTime, (ulong)record.TimeUnixNano);
        if (record.SeverityNumber != 0)
        {
            w.WriteEnum(LogSeverityNumber, record.SeverityNumber);
        }
        if (!string.IsNullOrEmpty(record.SeverityText))
        {
            w.WriteString(LogSeverityText, record.SeverityText);
        }
        if (record.Body is not null)
        {
            w.BeginMessage(LogBody, 2);
            w.WriteString(AnyString, record.Body);
            w.EndMessage();
        }
        foreach (ref readonly KeyValue attribute in record.AttributeSpan)
        {
            OtlpProtobuf.WriteKeyValue(w, LogAttributes, attribute);
        }
        if (record.EventId != 0)
        {
            OtlpProtobuf.WriteKeyValue(w, LogAttributes, EventIdField, AttributeValue.Of((long)record.EventId));
        }
        if (!string.IsNullOrEmpty(record.EventName))
        {
            OtlpProtobuf.WriteKeyValue(w, LogAttributes, EventNameField, AttributeValue.Of(record.EventName));
        }
        if (record.TraceId.IsValid && record.SpanId.IsValid)
        {
            w.WriteFixed32(LogFlags, record.TraceFlags);
            w.WriteBigEndianId(LogTraceId, record.TraceId.High, record.TraceId.Low, sixteenBytes: true);
            w.WriteBigEndianId(LogSpanId, 0, record.SpanId.Value, sixteenBytes: false);
        }
        w.WriteFixed64(LogObservedTime, (ulong)record.ObservedTimeUnixNano);
        w.EndMessage();
    }

    private static void WriteRecord(Utf8JsonWriter json, in OtlpLogRecord record)
    {
        json.WriteStartObject();
        OtlpJsonWriter.WriteInt64String(json, OtlpJsonFields.TimeUnixNano, record.TimeUnixNano);
        OtlpJsonWriter.WriteInt64String(json, ObservedTimeUnixNano, record.ObservedTimeUnixNano);
        if (record.SeverityNumber != 0)
        {
            json.WriteNumber(SeverityNumber, record.SeverityNumber);
        }
        if (!string.IsNullOrEmpty(record.SeverityText))
        {
            json.WriteString(SeverityText, record.SeverityText);
        }
        if (record.Body is not null)
        {
            json.WriteStartObject(Body);
            json.WriteString(OtlpJsonFields.StringValue, record.Body);
            json.WriteEndObject();
        }
        ReadOnlySpan<KeyValue> attributes = record.AttributeSpan;
        if (attributes.Length > 0 || record.EventId != 0 || !string.IsNullOrEmpty(record.EventName))
        {
            json.WriteStartArray(OtlpJsonFields.Attributes);
            foreach (ref readonly KeyValue attribute in attributes)
            {
                OtlpJsonWriter.WriteKeyValue(json, attribute);
            }
            if (record.EventId != 0)
            {
                OtlpJsonWriter.WriteKeyValue(json, EventIdKey, AttributeValue.Of((long)record.EventId));
            }
            if (!string.IsNullOrEmpty(record.EventName))
            {
                OtlpJsonWriter.WriteKeyValue(json, EventNameKey, AttributeValue.Of(record.EventName));
            }
            json.WriteEndArray();
        }
        if (record.TraceId.IsValid && record.SpanId.IsValid)
        {
            json.WriteNumber(OtlpJsonFields.Flags, record.TraceFlags);
            OtlpJsonWriter.WriteTraceId(json, OtlpJsonFields.TraceId, record.TraceId);
            OtlpJsonWriter.WriteSpanId(json, OtlpJsonFields.SpanId, record.SpanId);
        }
        json.WriteEndObject();
    }
}
