using System;
using System.Text;

namespace OtelGen.Export.Otlp;

/// <summary>Just enough protobuf reading for responses: find a top-level field by number.</summary>
internal static class ProtobufReader
{
    public static ReadOnlySpan<byte> FindMessage(ReadOnlySpan<byte> message, int field)
    {
        int position = 0;
        while (position < message.Length)
        {
            ulong key = ReadVarint(message, ref position);
            int number = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0:
                    ReadVarint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    int length = checked((int)ReadVarint(message, ref position));
                    if (length < 0 || position + length > message.Length)
                    {
                        return default;
                    }
                    if (number == field)
                    {
                        return message.Slice(position, length);
                    }
                    position += length;
                    break;
                default:
                    return default;
            }
        }
        return default;
    }

    public static string? FindString(ReadOnlySpan<byte> message, int field)
    {
        ReadOnlySpan<byte> bytes = FindMessage(message, field);
        return bytes.IsEmpty ? null : Encoding.UTF8.GetString(bytes);
    }

    public static long FindVarint(ReadOnlySpan<byte> message, int field)
    {
        int position = 0;
        while (position < message.Length)
        {
            ulong key = ReadVarint(message, ref position);
            switch ((int)(key & 7))
            {
                case 0:
                    ulong value = ReadVarint(message, ref position);
                    if ((int)(key >> 3) == field)
                    {
                        return (long)value;
                    }
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    position += checked((int)ReadVarint(message, ref position));
                    break;
                default:
                    return 0;
            }
        }
        return 0;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64 && position < data.Length; shift += 7)
        {
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new FormatException("Malformed varint.");
    }
}
