using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace OtelGen.Runtime.Tests.Folds;

/// <summary>
/// An independent protobuf wire reader for the metrics tests: a message as (field, wire type, varint/fixed
/// value, bytes), sharing no code with the exporter.
/// </summary>
internal sealed record WireField(int Number, int WireType, ulong Value, byte[] Bytes)
{
    /// <summary>This field's bytes read as an embedded message.</summary>
    public List<WireField> Message => Parse(Bytes);

    public string Text => Encoding.UTF8.GetString(Bytes);

    public double Double => BitConverter.Int64BitsToDouble((long)Value);

    public static List<WireField> Parse(byte[] data)
    {
        var fields = new List<WireField>();
        int p = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data[p++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return v;
                }
            }
        }
        while (p < data.Length)
        {
            ulong tag = Varint();
            int number = (int)(tag >> 3), type = (int)(tag & 7);
            switch (type)
            {
                case 0: fields.Add(new WireField(number, 0, Varint(), Array.Empty<byte>())); break;
                case 1: fields.Add(new WireField(number, 1, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(p)), Array.Empty<byte>())); p += 8; break;
                case 5: fields.Add(new WireField(number, 5, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p)), Array.Empty<byte>())); p += 4; break;
                case 2:
                    int length = (int)Varint();
                    fields.Add(new WireField(number, 2, 0, data.AsSpan(p, length).ToArray()));
                    p += length;
                    break;
                default: throw new FormatException($"wire type {type}");
            }
        }
        return fields;
    }
}
