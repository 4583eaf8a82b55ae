using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace OtelGen.Export.Otlp;

/// <summary>Protocol buffers wire types.</summary>
internal enum WireType : byte
{
    /// <summary>int32, int64, uint32, uint64, sint32, sint64, bool, enum.</summary>
    Varint = 0,
    /// <summary>fixed64, sfixed64, double.</summary>
    Fixed64 = 1,
    /// <summary>string, bytes, embedded messages, packed repeated fields.</summary>
    LengthDelimited = 2,
    /// <summary>fixed32, sfixed32, float.</summary>
    Fixed32 = 5,
}

/// <summary>
/// Writes protocol buffers wire format into a <see cref="PooledBuffer"/>, with nested length-delimited
/// messages written in one pass: <see cref="BeginMessage"/> reserves room for the length, and
/// <see cref="EndMessage"/> writes it (moving the body only when the reservation was the wrong size),
/// so the output is canonical (minimal varints) without measuring messages twice. Reusable for any
/// OTLP signal; allocates nothing once its buffer and nesting stack have grown.
/// </summary>
internal sealed class ProtobufWriter
{
    private PooledBuffer _output;
    private int[] _starts = new int[16];
    private byte[] _reserved = new byte[16];
    private int _depth;

    /// <summary>Writes into <paramref name="output"/>, appending to what it holds.</summary>
    public ProtobufWriter(PooledBuffer output)
    {
        _output = output;
    }

    /// <summary>The buffer written to.</summary>
    public PooledBuffer Output => _output;

    /// <summary>How many messages are open.</summary>
    public int Depth => _depth;

    /// <summary>Switches to another buffer (only between messages).</summary>
    public void Reset(PooledBuffer output)
    {
        _output = output;
        _depth = 0;
    }

    /// <summary>The number of bytes <paramref name="value"/> takes as a varint.</summary>
    public static int VarintSize(ulong value)
    {
        // 1 byte per 7 significant bits, at least one.
        return (64 - System.Numerics.BitOperations.LeadingZeroCount(value | 1) + 6) / 7;
    }

    /// <summary>Writes a field key.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void WriteTag(int field, WireType type)
    {
        uint tag = ((uint)field << 3) | (byte)type;
        if (tag < 0x80)
        {
            PooledBuffer output = _output;
            output.Ensure(1);
            output._buffer[output._length++] = (byte)tag;
            return;
        }
        WriteVarint(tag);
    }

    /// <summary>Writes a raw varint.</summary>
    public void WriteVarint(ulong value)
    {
        PooledBuffer output = _output;
        output.Ensure(10);
        byte[] buffer = output._buffer;
        int position = output._length;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[position++] = (byte)value;
        output._length = position;
    }

    /// <summary>
    /// A bytes field holding a big-endian 64-bit value (a span id), or 16 bytes from two (a trace id):
    /// written straight into the buffer.
    /// </summary>
    public void WriteBigEndianId(int field, ulong high, ulong low, bool sixteenBytes)
    {
        WriteTag(field, WireType.LengthDelimited);
        PooledBuffer output = _output;
        output.Ensure(17);
        Span<byte> target = output._buffer.AsSpan(output._length);
        if (sixteenBytes)
        {
            target[0] = 16;
            BinaryPrimitives.WriteUInt64BigEndian(target.Slice(1), high);
            BinaryPrimitives.WriteUInt64BigEndian(target.Slice(9), low);
            output._length += 17;
        }
        else
        {
            target[0] = 8;
            BinaryPrimitives.WriteUInt64BigEndian(target.Slice(1), low);
            output._length += 9;
        }
    }

    /// <summary>Writes raw bytes (for example a message encoded once and cached).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        PooledBuffer output = _output;
        output.Ensure(bytes.Length);
        bytes.CopyTo(output._buffer.AsSpan(output._length));
        output._length += bytes.Length;
    }

    /// <summary>An int64/uint64/int32 field (negative int32 values take ten bytes, as the spec says).</summary>
    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint((ulong)value);
    }

    /// <summary>A uint64 field.</summary>
    public void WriteUInt64(int field, ulong value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint(value);
    }

    /// <summary>A uint32 field.</summary>
    public void WriteUInt32(int field, uint value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint(value);
    }

    /// <summary>An enum field.</summary>
    public void WriteEnum(int field, int value) => WriteInt64(field, value);

    /// <summary>A bool field.</summary>
    public void WriteBool(int field, bool value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint(value ? 1UL : 0UL);
    }

    /// <summary>A sint32 field (zigzag).</summary>
    public void WriteSInt32(int field, int value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint((uint)((value << 1) ^ (value >> 31)));
    }

    /// <summary>A sint64 field (zigzag).</summary>
    public void WriteSInt64(int field, long value)
    {
        WriteTag(field, WireType.Varint);
        WriteVarint((ulong)((value << 1) ^ (value >> 63)));
    }

    /// <summary>A fixed64 or sfixed64 field.</summary>
    public void WriteFixed64(int field, ulong value)
    {
        WriteTag(field, WireType.Fixed64);
        PooledBuffer output = _output;
        output.Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(output._buffer.AsSpan(output._length), value);
        output._length += 8;
    }

    /// <summary>A fixed32 or sfixed32 field.</summary>
    public void WriteFixed32(int field, uint value)
    {
        WriteTag(field, WireType.Fixed32);
        PooledBuffer output = _output;
        output.Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(output._buffer.AsSpan(output._length), value);
        output._length += 4;
    }

    /// <summary>A double field.</summary>
    public void WriteDouble(int field, double value) => WriteFixed64(field, (ulong)BitConverter.DoubleToInt64Bits(value));

    /// <summary>A bytes field.</summary>
    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _output.Write(value);
    }

    /// <summary>A string field, UTF-8 encoded straight into the buffer.</summary>
    public void WriteString(int field, string value)
    {
        WriteTag(field, WireType.LengthDelimited);
        PooledBuffer output = _output;
        if (value.Length <= 42)
        {
            // At most 3 UTF-8 bytes per UTF-16 unit: the length fits one byte, so encode then patch it.
            output.Ensure(1 + value.Length * 3);
            int at = output._length;
            int written = Encoding.UTF8.GetBytes(value, output._buffer.AsSpan(at + 1));
            output._buffer[at] = (byte)written;
            output._length = at + 1 + written;
            return;
        }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)count);
        output.Ensure(count);
        Encoding.UTF8.GetBytes(value, output._buffer.AsSpan(output._length));
        output._length += count;
    }

    /// <summary>A string field from UTF-8 bytes.</summary>
    public void WriteString(int field, ReadOnlySpan<byte> utf8) => WriteBytes(field, utf8);

    /// <summary>A packed repeated double field (nothing when empty): on the wire, each double's bits as a fixed64.</summary>
    public void WritePackedDoubles(int field, ReadOnlySpan<double> values) =>
        WritePackedFixed64(field, MemoryMarshal.Cast<double, ulong>(values));

    /// <summary>A packed repeated fixed64 field (nothing when empty).</summary>
    public void WritePackedFixed64(int field, ReadOnlySpan<ulong> values)
    {
        if (values.IsEmpty)
        {
            return;
        }
        WriteTag(field, WireType.LengthDelimited);
        WriteVarint((ulong)values.Length * 8);
        _output.Ensure(values.Length * 8);
        Span<byte> target = _output.Array.AsSpan(_output.Length);
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(target.Slice(i * 8), values[i]);
        }
        _output.SetLength(_output.Length + values.Length * 8);
    }

    /// <summary>A packed repeated uint64 (varint) field (nothing when empty).</summary>
    public void WritePackedUInt64(int field, ReadOnlySpan<ulong> values)
    {
        if (values.IsEmpty)
        {
            return;
        }
        BeginMessage(field, 1);
        foreach (ulong value in values)
        {
            WriteVarint(value);
        }
        EndMessage();
    }

    /// <summary>
    /// Opens a length-delimited field (an embedded message or a packed array). The length is written by
    /// <see cref="EndMessage"/>; <paramref name="expectedLengthBytes"/> (1 to 5) is the varint size the
    /// caller expects, so that typical messages need no move: 1 for under 128 bytes, 2 under 16 KiB, 3 under 2 MiB.
    /// </summary>
    public void BeginMessage(int field, int expectedLengthBytes = 1)
    {
        WriteTag(field, WireType.LengthDelimited);
        int reserve = Math.Clamp(expectedLengthBytes, 1, 5);
        if (_depth == _starts.Length)
        {
            System.Array.Resize(ref _starts, _depth * 2);
            System.Array.Resize(ref _reserved, _depth * 2);
        }
        _output.Ensure(reserve);
        _starts[_depth] = _output.Length;
        _reserved[_depth] = (byte)reserve;
        _depth++;
        _output.SetLength(_output.Length + reserve);
    }

    /// <summary>Closes the innermost field opened by <see cref="BeginMessage"/>, writing its length.</summary>
    public void EndMessage()
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("EndMessage without BeginMessage.");
        }
        _depth--;
        int start = _starts[_depth];
        int reserved = _reserved[_depth];
        int bodyStart = start + reserved;
        int length = _output.Length - bodyStart;
        int needed = VarintSize((ulong)length);
        if (needed != reserved)
        {
            _output.Ensure(Math.Max(0, needed - reserved));
            byte[] moving = _output.Array;
            moving.AsSpan(bodyStart, length).CopyTo(moving.AsSpan(start + needed));
            _output.SetLength(start + needed + length);
        }
        byte[] buffer = _output.Array;
        ulong value = (ulong)length;
        int position = start;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[position] = (byte)value;
    }
}
