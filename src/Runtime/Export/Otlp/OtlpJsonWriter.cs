using System;
using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// The OTLP/JSON encoding rules on top of <see cref="Utf8JsonWriter"/>: lowerCamelCase field names,
/// trace and span ids as lowercase hex (not base64), enums as integers, 64-bit integers as strings,
/// non-finite doubles as "NaN"/"Infinity"/"-Infinity". Reusable for any OTLP signal.
/// </summary>
internal static class OtlpJsonWriter
{
    /// <summary>Writer options for OTLP/JSON: compact (one line), no validation cost, readable non-ASCII.</summary>
    public static readonly JsonWriterOptions Options = new()
    {
        Indented = false,
        SkipValidation = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes a 64-bit integer as a JSON string (proto3 JSON mapping for int64/uint64/fixed64).</summary>
    public static void WriteInt64String(Utf8JsonWriter writer, JsonEncodedText name, long value)
    {
        Span<byte> digits = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, digits, out int length);
        writer.WriteString(name, digits.Slice(0, length));
    }

    /// <summary>Writes an unsigned 64-bit integer as a JSON string.</summary>
    public static void WriteUInt64String(Utf8JsonWriter writer, JsonEncodedText name, ulong value)
    {
        Span<byte> digits = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, digits, out int length);
        writer.WriteString(name, digits.Slice(0, length));
    }

    /// <summary>Writes a double as a number, or as the proto3 JSON string for NaN and infinities.</summary>
    public static void WriteDouble(Utf8JsonWriter writer, JsonEncodedText name, double value)
    {
        writer.WritePropertyName(name);
        WriteDoubleValue(writer, value);
    }

    /// <summary>Writes a double array element or value.</summary>
    public static void WriteDoubleValue(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    /// <summary>Writes a trace id as 32 lowercase hex characters.</summary>
    public static void WriteTraceId(Utf8JsonWriter writer, JsonEncodedText name, TraceId id)
    {
        Span<byte> hex = stackalloc byte[32];
        WriteHex(id.High, hex);
        WriteHex(id.Low, hex.Slice(16));
        writer.WriteString(name, hex);
    }

    /// <summary>Writes a span id as 16 lowercase hex characters.</summary>
    public static void WriteSpanId(Utf8JsonWriter writer, JsonEncodedText name, SpanId id)
    {
        Span<byte> hex = stackalloc byte[16];
        WriteHex(id.Value, hex);
        writer.WriteString(name, hex);
    }

    /// <summary>Writes an OTLP <c>KeyValue</c> object.</summary>
    public static void WriteKeyValue(Utf8JsonWriter writer, in KeyValue attribute)
    {
        writer.WriteStartObject();
        writer.WriteString(OtlpJsonFields.Key, attribute.Key);
        writer.WritePropertyName(OtlpJsonFields.Value);
        WriteAnyValue(writer, attribute.Value);
        writer.WriteEndObject();
    }

    /// <summary>Writes an OTLP <c>KeyValue</c> object whose key was escaped beforehand.</summary>
    public static void WriteKeyValue(Utf8JsonWriter writer, JsonEncodedText key, in AttributeValue value)
    {
        writer.WriteStartObject();
        writer.WriteString(OtlpJsonFields.Key, key);
        writer.WritePropertyName(OtlpJsonFields.Value);
        WriteAnyValue(writer, value);
        writer.WriteEndObject();
    }

    /// <summary>Writes an array property of <c>KeyValue</c> objects (nothing when empty).</summary>
    public static void WriteKeyValues(Utf8JsonWriter writer, JsonEncodedText name, ReadOnlySpan<KeyValue> attributes)
    {
        if (attributes.IsEmpty)
        {
            return;
        }
        writer.WriteStartArray(name);
        foreach (ref readonly KeyValue attribute in attributes)
        {
            WriteKeyValue(writer, attribute);
        }
        writer.WriteEndArray();
    }

    /// <summary>Writes an OTLP <c>AnyValue</c> object.</summary>
    public static void WriteAnyValue(Utf8JsonWriter writer, in AttributeValue value)
    {
        writer.WriteStartObject();
        switch (value.Type)
        {
            case AttributeType.String:
                writer.WriteString(OtlpJsonFields.StringValue, value.AsString());
                break;
            case AttributeType.Bool:
                writer.WriteBoolean(OtlpJsonFields.BoolValue, value.AsBool());
                break;
            case AttributeType.Long:
                WriteInt64String(writer, OtlpJsonFields.IntValue, value.AsLong());
                break;
            case AttributeType.Double:
                WriteDouble(writer, OtlpJsonFields.DoubleValue, value.AsDouble());
                break;
            case AttributeType.StringArray:
                StartArrayValue(writer);
                foreach (string item in value.AsStringArray())
                {
                    writer.WriteStartObject();
                    writer.WriteString(OtlpJsonFields.StringValue, item ?? string.Empty);
                    writer.WriteEndObject();
                }
                EndArrayValue(writer);
                break;
            case AttributeType.BoolArray:
                StartArrayValue(writer);
                foreach (bool item in value.AsBoolArray())
                {
                    writer.WriteStartObject();
                    writer.WriteBoolean(OtlpJsonFields.BoolValue, item);
                    writer.WriteEndObject();
                }
                EndArrayValue(writer);
                break;
            case AttributeType.LongArray:
                StartArrayValue(writer);
                foreach (long item in value.AsLongArray())
                {
                    writer.WriteStartObject();
                    WriteInt64String(writer, OtlpJsonFields.IntValue, item);
                    writer.WriteEndObject();
                }
                EndArrayValue(writer);
                break;
            case AttributeType.DoubleArray:
                StartArrayValue(writer);
                foreach (double item in value.AsDoubleArray())
                {
                    writer.WriteStartObject();
                    WriteDouble(writer, OtlpJsonFields.DoubleValue, item);
                    writer.WriteEndObject();
                }
                EndArrayValue(writer);
                break;
        }
        writer.WriteEndObject();
    }

    /// <summary>Writes a <c>Resource</c> object property.</summary>
    public static void WriteResource(Utf8JsonWriter writer, JsonEncodedText name, OtlpResource resource)
    {
        writer.WriteStartObject(name);
        WriteKeyValues(writer, OtlpJsonFields.Attributes, resource.Attributes);
        writer.WriteEndObject();
    }

    /// <summary>Writes an <c>InstrumentationScope</c> object property.</summary>
    public static void WriteScope(Utf8JsonWriter writer, JsonEncodedText name, string scopeName, string? version)
    {
        writer.WriteStartObject(name);
        writer.WriteString(OtlpJsonFields.Name, scopeName);
        if (!string.IsNullOrEmpty(version))
        {
            writer.WriteString(OtlpJsonFields.Version, version);
        }
        writer.WriteEndObject();
    }

    private static void StartArrayValue(Utf8JsonWriter writer)
    {
        writer.WriteStartObject(OtlpJsonFields.ArrayValue);
        writer.WriteStartArray(OtlpJsonFields.Values);
    }

    private static void EndArrayValue(Utf8JsonWriter writer)
    {
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteHex(ulong value, Span<byte> destination)
    {
        // Two characters per byte from a table, most significant byte first.
        ReadOnlySpan<byte> digits = "0123456789abcdef"u8;
        destination = destination.Slice(0, 16);
        for (int i = 0; i < 8; i++)
        {
            int b = (int)(value >> (56 - 8 * i)) & 0xFF;
            destination[2 * i] = digits[b >> 4];
            destination[2 * i + 1] = digits[b & 0xF];
        }
    }
}
