using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using OtelGen.Spans;

namespace OtelGen.Export.Otlp;

/// <summary>
/// Protobuf pieces written straight into a <see cref="PooledBuffer"/>'s array, for the span encoder's hot
/// path: the caller makes room once for a run of fields (<see cref="PooledBuffer.Ensure"/>), then these
/// write without further bounds checks. Every write stays inside the room the caller made.
/// </summary>
internal static class RawProtobuf
{
    // KeyValue.value (2), AnyValue.string_value (1), bool_value (2), int_value (3), double_value (4): tags.
    private const byte ValueTag = (2 << 3) | 2, StringTag = (1 << 3) | 2, BoolTag = 2 << 3, IntTag = 3 << 3, DoubleTag = (4 << 3) | 1;

    /// <summary>Longest pre-encoded key field taken by <see cref="TryWriteKeyValue"/> (its scalar cases then need one-byte lengths).</summary>
    public const int MaxKeyField = 100;

    /// <summary>The start of <paramref name="buffer"/>'s array, for unchecked writes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref byte Start(PooledBuffer buffer) => ref MemoryMarshal.GetArrayDataReference(buffer._buffer);

    /// <summary>Writes <paramref name="value"/> big-endian (ids are byte strings in network order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BigEndian64(ref byte at, ulong value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value);

    /// <summary>Writes <paramref name="value"/> little-endian (fixed64, double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LittleEndian64(ref byte at, ulong value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));

    /// <summary>Writes <paramref name="value"/> little-endian (fixed32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LittleEndian32(ref byte at, uint value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));

    /// <summary>Writes a varint at <paramref name="position"/>; returns the position after it (at most 10 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint(ref byte buffer, int position, ulong value)
    {
        while (value >= 0x80)
        {
            Unsafe.Add(ref buffer, position++) = (byte)(value | 0x80);
            value >>= 7;
        }
        Unsafe.Add(ref buffer, position++) = (byte)value;
        return position;
    }

    /// <summary>
    /// Copies <paramref name="bytes"/> to <paramref name="position"/>; returns the position after them. The
    /// cached pieces are short (tens of bytes), so two overlapping loads and stores beat a call to memmove.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Copy(ref byte buffer, int position, byte[] bytes)
    {
        int length = bytes.Length;
        ref byte source = ref MemoryMarshal.GetArrayDataReference(bytes);
        ref byte target = ref Unsafe.Add(ref buffer, position);
        if (length >= 16 && length <= 32)
        {
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref source), ref target);
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref source, (nuint)(length - 16)), ref target, (nuint)(length - 16));
        }
        else
        {
            CopyOther(ref target, ref source, length);
        }
        return position + length;
    }

    private static void CopyOther(ref byte target, ref byte source, int length)
    {
        if (length > 32 && length <= 64 && Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> head = Vector256.LoadUnsafe(ref source);
            Vector256<byte> tail = Vector256.LoadUnsafe(ref source, (nuint)(length - 32));
            head.StoreUnsafe(ref target);
            tail.StoreUnsafe(ref target, (nuint)(length - 32));
        }
        else if (length >= 8 && length < 16)
        {
            Unsafe.WriteUnaligned(ref target, Unsafe.ReadUnaligned<ulong>(ref source));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8)));
        }
        else
        {
            Unsafe.CopyBlockUnaligned(ref target, ref source, (uint)length);
        }
    }

    /// <summary>
    /// UTF-8 of <paramref name="text"/> at <paramref name="position"/> of <paramref name="buffer"/>, which has
    /// room for <c>3 * text.Length</c> bytes there; returns the byte count. Short ASCII (the usual attribute
    /// value) is narrowed here, which beats the general transcoder's setup cost.
    /// </summary>
    public static int Utf8(string text, PooledBuffer buffer, int position)
    {
        int length = text.Length;
        ref byte target = ref Unsafe.Add(ref Start(buffer), position);
        ref ushort source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text.AsSpan()));
        if (length >= 8 && length <= 16)
        {
            // Two overlapping 8-char blocks cover the string; narrow both if all of it is ASCII.
            Vector128<ushort> head = Vector128.LoadUnsafe(ref source);
            Vector128<ushort> tail = Vector128.LoadUnsafe(ref source, (nuint)(length - 8));
            if (((head | tail) & Vector128.Create((ushort)0xFF80)) == Vector128<ushort>.Zero)
            {
                Vector128<ulong> narrow = Vector128.Narrow(head, tail).AsUInt64();
                Unsafe.WriteUnaligned(ref target, narrow.GetElement(0));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 8), narrow.GetElement(1));
                return length;
            }
        }
        else if (length < 8)
        {
            for (int i = 0; i < length; i++)
            {
                ushort c = Unsafe.Add(ref source, i);
                if (c >= 0x80)
                {
                    return i + Encoding.UTF8.GetBytes(text.AsSpan(i), buffer._buffer.AsSpan(position + i));
                }
                Unsafe.Add(ref target, i) = (byte)c;
            }
            return length;
        }
        return Encoding.UTF8.GetBytes(text, buffer._buffer.AsSpan(position));
    }

    /// <summary>
    /// Writes a repeated <c>KeyValue</c> entry (tag <paramref name="fieldTag"/>) whose key field was encoded
    /// beforehand, for scalar values; false (nothing written) for arrays, or a key field over <see cref="MaxKeyField"/> bytes.
    /// Makes its own room.
    /// </summary>
    public static bool TryWriteKeyValue(PooledBuffer output, byte fieldTag, byte[] keyField, in AttributeValue value)
    {
        int k = keyField.Length;
        if (k > MaxKeyField)
        {
            return false;
        }
        int p;
        ref byte b = ref Unsafe.NullRef<byte>();
        switch (value.Type)
        {
            case AttributeType.String:
                {
                    string text = value.AsString();
                    // Room for the longest case: three 5-byte lengths and 3 bytes per UTF-16 unit.
                    output.Ensure(k + 18 + text.Length * 3);
                    p = output._length;
                    int textAt = p + k + 6;
                    int m = Utf8(text, output, textAt);
                    b = ref Start(output);
                    if (k + 4 + m < 128)
                    {
                        // One byte per length: patch the three around the text already in place.
                        Unsafe.Add(ref b, p) = fieldTag;
                        Unsafe.Add(ref b, p + 1) = (byte)(k + 4 + m);
                        Copy(ref b, p + 2, keyField);
                        Unsafe.Add(ref b, textAt - 4) = ValueTag;
                        Unsafe.Add(ref b, textAt - 3) = (byte)(m + 2);
                        Unsafe.Add(ref b, textAt - 2) = StringTag;
                        Unsafe.Add(ref b, textAt - 1) = (byte)m;
                        output._length = textAt + m;
                        return true;
                    }
                    // Longer lengths: move the text up by the extra length bytes, then write the prefix.
                    int any = 1 + ProtobufWriter.VarintSize((ulong)m) + m;
                    int kv = k + 1 + ProtobufWriter.VarintSize((ulong)any) + any;
                    int finalTextAt = p + 1 + ProtobufWriter.VarintSize((ulong)kv) + kv - m;
                    output._buffer.AsSpan(textAt, m).CopyTo(output._buffer.AsSpan(finalTextAt));
                    Unsafe.Add(ref b, p) = fieldTag;
                    int q = Varint(ref b, p + 1, (ulong)kv);
                    q = Copy(ref b, q, keyField);
                    Unsafe.Add(ref b, q) = ValueTag;
                    q = Varint(ref b, q + 1, (ulong)any);
                    Unsafe.Add(ref b, q) = StringTag;
                    Varint(ref b, q + 1, (ulong)m);
                    output._length = finalTextAt + m;
                    return true;
                }
            case AttributeType.Long:
                {
                    ulong number = (ulong)value.AsLong();
                    output.Ensure(k + 16);
                    b = ref Start(output);
                    p = output._length;
                    int size = ProtobufWriter.VarintSize(number);
                    Unsafe.Add(ref b, p) = fieldTag;
                    Unsafe.Add(ref b, p + 1) = (byte)(k + 3 + size);
                    p = Copy(ref b, p + 2, keyField);
                    Unsafe.Add(ref b, p) = ValueTag;
                    Unsafe.Add(ref b, p + 1) = (byte)(1 + size);
                    Unsafe.Add(ref b, p + 2) = IntTag;
                    output._length = Varint(ref b, p + 3, number);
                    return true;
                }
            case AttributeType.Bool:
                output.Ensure(k + 6);
                b = ref Start(output);
                p = output._length;
                Unsafe.Add(ref b, p) = fieldTag;
                Unsafe.Add(ref b, p + 1) = (byte)(k + 4);
                p = Copy(ref b, p + 2, keyField);
                Unsafe.Add(ref b, p) = ValueTag;
                Unsafe.Add(ref b, p + 1) = 2;
                Unsafe.Add(ref b, p + 2) = BoolTag;
                Unsafe.Add(ref b, p + 3) = value.AsBool() ? (byte)1 : (byte)0;
                output._length = p + 4;
                return true;
            case AttributeType.Double:
                output.Ensure(k + 13);
                b = ref Start(output);
                p = output._length;
                Unsafe.Add(ref b, p) = fieldTag;
                Unsafe.Add(ref b, p + 1) = (byte)(k + 11);
                p = Copy(ref b, p + 2, keyField);
                Unsafe.Add(ref b, p) = ValueTag;
                Unsafe.Add(ref b, p + 1) = 9;
                Unsafe.Add(ref b, p + 2) = DoubleTag;
                LittleEndian64(ref Unsafe.Add(ref b, p + 3), (ulong)BitConverter.DoubleToInt64Bits(value.AsDouble()));
                output._length = p + 11;
                return true;
            default:
                return false;
        }
    }
}
