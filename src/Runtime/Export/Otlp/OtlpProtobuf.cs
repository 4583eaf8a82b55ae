using System;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// Encoders for the messages of opentelemetry/proto/common/v1/common.proto and resource.proto that every
/// signal shares (field numbers from the spec), on a <see cref="ProtobufWriter"/>.
/// </summary>
internal static class OtlpProtobuf
{
    // AnyValue
    private const int StringValue = 1, BoolValue = 2, IntValue = 3, DoubleValue = 4, ArrayValue = 5;
    // ArrayValue / KeyValue
    private const int ArrayValues = 1, Key = 1, Value = 2;
    // InstrumentationScope
    private const int ScopeName = 1, ScopeVersion = 2;
    // Resource
    private const int ResourceAttributes = 1;

    /// <summary>Writes a repeated <c>KeyValue</c> field entry.</summary>
    public static void WriteKeyValue(ProtobufWriter writer, int field, in KeyValue attribute)
    {
        writer.BeginMessage(field, 1);
        writer.WriteString(Key, attribute.Key);
        writer.BeginMessage(Value, 1);
        WriteAnyValueFields(writer, attribute.Value);
        writer.EndMessage();
        writer.EndMessage();
    }

    /// <summary>
    /// Writes a repeated <c>KeyValue</c> field entry whose key field (tag, length and UTF-8 of field 1) was
    /// encoded beforehand (see <see cref="EncodeKeyField"/>); scalar values are written with computed lengths.
    /// </summary>
    public static void WriteKeyValue(ProtobufWriter writer, int field, ReadOnlySpan<byte> keyField, in AttributeValue value)
    {
        int anyLength;
        switch (value.Type)
        {
            case AttributeType.String:
                string text = value.AsString();
                if (keyField.Length + 5 + text.Length * 3 < 128)
                {
                    // Every length fits one byte: encode the text in place, then patch the three lengths.
                    PooledBuffer output = writer.Output;
                    output.Ensure(keyField.Length + 7 + text.Length * 3);
                    byte[] buffer = output._buffer;
                    int at = output._length;
                    buffer[at] = (byte)((field << 3) | 2);
                    keyField.CopyTo(buffer.AsSpan(at + 2));
                    int valueAt = at + 2 + keyField.Length;
                    buffer[valueAt] = (Value << 3) | 2;
                    buffer[valueAt + 2] = (StringValue << 3) | 2;
                    int written = System.Text.Encoding.UTF8.GetBytes(text, buffer.AsSpan(valueAt + 4));
                    buffer[valueAt + 3] = (byte)written;
                    buffer[valueAt + 1] = (byte)(written + 2);
                    buffer[at + 1] = (byte)(keyField.Length + written + 4);
                    output._length = valueAt + 4 + written;
                    return;
                }
                goto default;
            case AttributeType.Bool:
                anyLength = 2;
                break;
            case AttributeType.Long:
                anyLength = 1 + ProtobufWriter.VarintSize((ulong)value.AsLong());
                break;
            case AttributeType.Double:
                anyLength = 9;
                break;
            default:
                writer.BeginMessage(field, 1);
                writer.WriteRaw(keyField);
                writer.BeginMessage(Value, 1);
                WriteAnyValueFields(writer, value);
                writer.EndMessage();
                writer.EndMessage();
                return;
        }
        writer.WriteTag(field, WireType.LengthDelimited);
        writer.WriteVarint((ulong)(keyField.Length + 1 + ProtobufWriter.VarintSize((ulong)anyLength) + anyLength));
        writer.WriteRaw(keyField);
        writer.WriteTag(Value, WireType.LengthDelimited);
        writer.WriteVarint((ulong)anyLength);
        WriteAnyValueFields(writer, value);
    }

    /// <summary>Encodes field 1 (the key) of a <c>KeyValue</c>: tag, length and UTF-8 bytes.</summary>
    public static byte[] EncodeKeyField(string key)
    {
        using var scratch = new PooledBuffer(64);
        new ProtobufWriter(scratch).WriteString(Key, key);
        return scratch.WrittenSpan.ToArray();
    }

    /// <summary>Encodes whole <c>KeyValue</c> entries of field <paramref name="field"/> once, for attributes that never change.</summary>
    public static byte[] EncodeKeyValues(int field, ReadOnlySpan<KeyValue> attributes)
    {
        using var scratch = new PooledBuffer(256);
        WriteKeyValues(new ProtobufWriter(scratch), field, attributes);
        return scratch.WrittenSpan.ToArray();
    }

    /// <summary>Writes one <c>KeyValue</c> per attribute.</summary>
    public static void WriteKeyValues(ProtobufWriter writer, int field, ReadOnlySpan<KeyValue> attributes)
    {
        foreach (ref readonly KeyValue attribute in attributes)
        {
            WriteKeyValue(writer, field, attribute);
        }
    }

    /// <summary>Writes the fields of an <c>AnyValue</c> (inside an already open message).</summary>
    public static void WriteAnyValueFields(ProtobufWriter writer, in AttributeValue value)
    {
        switch (value.Type)
        {
            case AttributeType.String:
                writer.WriteString(StringValue, value.AsString());
                break;
            case AttributeType.Bool:
                writer.WriteBool(BoolValue, value.AsBool());
                break;
            case AttributeType.Long:
                writer.WriteInt64(IntValue, value.AsLong());
                break;
            case AttributeType.Double:
                writer.WriteDouble(DoubleValue, value.AsDouble());
                break;
            case AttributeType.StringArray:
                writer.BeginMessage(ArrayValue, 1);
                foreach (string item in value.AsStringArray())
                {
                    writer.BeginMessage(ArrayValues, 1);
                    writer.WriteString(StringValue, item ?? string.Empty);
                    writer.EndMessage();
                }
                writer.EndMessage();
                break;
            case AttributeType.BoolArray:
                writer.BeginMessage(ArrayValue, 1);
                foreach (bool item in value.AsBoolArray())
                {
                    writer.BeginMessage(ArrayValues, 1);
                    writer.WriteBool(BoolValue, item);
                    writer.EndMessage();
                }
                writer.EndMessage();
                break;
            case AttributeType.LongArray:
                writer.BeginMessage(ArrayValue, 1);
                foreach (long item in value.AsLongArray())
                {
                    writer.BeginMessage(ArrayValues, 1);
                    writer.WriteInt64(IntValue, item);
                    writer.EndMessage();
                }
                writer.EndMessage();
                break;
            case AttributeType.DoubleArray:
                writer.BeginMessage(ArrayValue, 1);
                foreach (double item in value.AsDoubleArray())
                {
                    writer.BeginMessage(ArrayValues, 1);
                    writer.WriteDouble(DoubleValue, item);
                    writer.EndMessage();
                }
                writer.EndMessage();
                break;
        }
    }

    /// <summary>Writes a <c>Resource</c> message as field <paramref name="field"/>.</summary>
    public static void WriteResource(ProtobufWriter writer, int field, OtlpResource resource)
    {
        writer.BeginMessage(field, 2);
        WriteKeyValues(writer, ResourceAttributes, resource.Attributes);
        writer.EndMessage();
    }

    /// <summary>Writes an <c>InstrumentationScope</c> message as field <paramref name="field"/>.</summary>
    public static void WriteScope(ProtobufWriter writer, int field, string name, string? version)
    {
        writer.BeginMessage(field, 1);
        writer.WriteString(ScopeName, name);
        if (!string.IsNullOrEmpty(version))
        {
            writer.WriteString(ScopeVersion, version);
        }
        writer.EndMessage();
    }
}
