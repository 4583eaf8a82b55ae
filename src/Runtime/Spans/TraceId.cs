using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;

namespace OtelGen.Spans;

/// <summary>A W3C trace id: 16 bytes, never all zero when valid. Held as two integers so that copying and comparing are cheap.</summary>
public readonly struct TraceId : IEquatable<TraceId>
{
    /// <summary>The first 8 bytes, big-endian.</summary>
    public readonly ulong High;
    /// <summary>The last 8 bytes, big-endian.</summary>
    public readonly ulong Low;

    /// <summary>Makes a trace id from its two halves.</summary>
    public TraceId(ulong high, ulong low) { High = high; Low = low; }

    /// <summary>False for the all-zero id, which W3C Trace Context forbids.</summary>
    public bool IsValid => (High | Low) != 0;

    /// <summary>A new random, valid trace id.</summary>
    public static TraceId NewRandom() => NewRandom(ref SpanStack.Current.Ids);

    internal static TraceId NewRandom(ref RandomIds ids)
    {
        ulong high, low;
        do
        {
            high = ids.NextUInt64();
            low = ids.NextUInt64();
        }
        while ((high | low) == 0);
        return new TraceId(high, low);
    }

    /// <summary>Writes the 16 bytes, big-endian, as OTLP sends them.</summary>
    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(8), Low);
    }

    /// <summary>Writes 32 lowercase hex characters.</summary>
    public void WriteHex(Span<char> destination)
    {
        Ids.WriteHex(High, destination);
        Ids.WriteHex(Low, destination.Slice(16));
    }

    /// <summary>32 lowercase hex characters.</summary>
    public string ToHexString() => string.Create(32, this, static (chars, id) => id.WriteHex(chars));

    /// <inheritdoc/>
    public override string ToString() => ToHexString();

    /// <summary>Parses 32 lowercase or uppercase hex characters; false for anything else or the all-zero id.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out TraceId id)
    {
        id = default;
        if (hex.Length != 32 || !Ids.TryParseHex(hex.Slice(0, 16), out ulong high) || !Ids.TryParseHex(hex.Slice(16), out ulong low))
        {
            return false;
        }
        id = new TraceId(high, low);
        return id.IsValid;
    }

    /// <summary>Reads 16 big-endian bytes.</summary>
    public static TraceId FromBytes(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8)));

    /// <summary>Converts to the framework's trace id.</summary>
    public ActivityTraceId ToActivityTraceId()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteBytes(bytes);
        return ActivityTraceId.CreateFromBytes(bytes);
    }

    /// <summary>Converts from the framework's trace id.</summary>
    public static TraceId FromActivityTraceId(ActivityTraceId id)
    {
        // The id keeps its hex text; parsing it here is several times cheaper than CopyTo, which validates and
        // converts through the framework's general hex decoder (recording a library Activity does this for
        // every Activity).
        string hex = id.ToHexString();
        if (hex.Length == 32 && Ids.TryParseHex(hex.AsSpan(0, 16), out ulong high) && Ids.TryParseHex(hex.AsSpan(16), out ulong low))
        {
            return new TraceId(high, low);
        }
        Span<byte> bytes = stackalloc byte[16];
        id.CopyTo(bytes);
        return FromBytes(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(TraceId other) => High == other.High && Low == other.Low;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TraceId other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => (High ^ Low).GetHashCode();
    /// <summary>Equality.</summary>
    public static bool operator ==(TraceId left, TraceId right) => left.Equals(right);
    /// <summary>Inequality.</summary>
    public static bool operator !=(TraceId left, TraceId right) => !left.Equals(right);
}

/// <summary>A W3C span (parent) id: 8 bytes, never all zero when valid.</summary>
public readonly struct SpanId : IEquatable<SpanId>
{
    /// <summary>The 8 bytes as a big-endian integer.</summary>
    public readonly ulong Value;

    /// <summary>Makes a span id from its big-endian integer.</summary>
    public SpanId(ulong value) { Value = value; }

    /// <summary>False for the all-zero id (no span).</summary>
    public bool IsValid => Value != 0;

    /// <summary>A new random, valid span id.</summary>
    public static SpanId NewRandom() => NewRandom(ref SpanStack.Current.Ids);

    internal static SpanId NewRandom(ref RandomIds ids)
    {
        ulong value;
        do { value = ids.NextUInt64(); } while (value == 0);
        return new SpanId(value);
    }

    /// <summary>Writes the 8 bytes, big-endian.</summary>
    public void WriteBytes(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, Value);

    /// <summary>Writes 16 lowercase hex characters.</summary>
    public void WriteHex(Span<char> destination) => Ids.WriteHex(Value, destination);

    /// <summary>16 lowercase hex characters.</summary>
    public string ToHexString() => string.Create(16, Value, static (chars, v) => Ids.WriteHex(v, chars));

    /// <inheritdoc/>
    public override string ToString() => ToHexString();

    /// <summary>Parses 16 hex characters; false for anything else or the all-zero id.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out SpanId id)
    {
        id = default;
        if (hex.Length != 16 || !Ids.TryParseHex(hex, out ulong value))
        {
            return false;
        }
        id = new SpanId(value);
        return id.IsValid;
    }

    /// <summary>Reads 8 big-endian bytes.</summary>
    public static SpanId FromBytes(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt64BigEndian(bytes));

    /// <summary>Converts to the framework's span id.</summary>
    public ActivitySpanId ToActivitySpanId()
    {
        Span<byte> bytes = stackalloc byte[8];
        WriteBytes(bytes);
        return ActivitySpanId.CreateFromBytes(bytes);
    }

    /// <summary>Converts from the framework's span id.</summary>
    public static SpanId FromActivitySpanId(ActivitySpanId id)
    {
        string hex = id.ToHexString();
        if (hex.Length == 16 && Ids.TryParseHex(hex, out ulong value))
        {
            return new SpanId(value);
        }
        Span<byte> bytes = stackalloc byte[8];
        id.CopyTo(bytes);
        return FromBytes(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(SpanId other) => Value == other.Value;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SpanId other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => Value.GetHashCode();
    /// <summary>Equality.</summary>
    public static bool operator ==(SpanId left, SpanId right) => left.Equals(right);
    /// <summary>Inequality.</summary>
    public static bool operator !=(SpanId left, SpanId right) => !left.Equals(right);
}

/// <summary>Hex helpers shared by <see cref="TraceId"/> and <see cref="SpanId"/> (random ids come from <see cref="RandomIds"/>).</summary>
internal static class Ids
{
    public static void WriteHex(ulong value, Span<char> destination)
    {
        const string digits = "0123456789abcdef";
        for (int i = 15; i >= 0; i--)
        {
            destination[i] = digits[(int)(value & 0xF)];
            value >>= 4;
        }
    }

    public static bool TryParseHex(ReadOnlySpan<char> hex, out ulong value)
    {
        value = 0;
        ReadOnlySpan<byte> table = HexDigits;
        int bad = 0;
        foreach (char c in hex)
        {
            int digit = c < 128 ? table[c] : 0xFF;
            bad |= digit;
            value = (value << 4) | (uint)(digit & 0xF);
        }
        // 0xFF marks a character that is not a hex digit; one bad character shows in the high bits of 'bad'.
        return (bad & 0xF0) == 0;
    }

    // The value of each ASCII hex digit, 0xFF for every other character.
    private static ReadOnlySpan<byte> HexDigits =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 10, 11, 12, 13, 14, 15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 10, 11, 12, 13, 14, 15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
}

/// <summary>
/// A per-thread xoshiro256** generator for trace and span ids. Each thread's span stack owns one, so a
/// span start reads no other thread-local and takes no lock; not cryptographic (nor are the ids of
/// OpenTelemetry .NET, which also uses a xoshiro-based <see cref="Random"/>).
/// </summary>
internal struct RandomIds
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator seeded from <see cref="Random.Shared"/> (never the all-zero state).</summary>
    public static RandomIds Seeded()
    {
        var ids = default(RandomIds);
        Span<byte> seed = stackalloc byte[32];
        do
        {
            Random.Shared.NextBytes(seed);
            ids._s0 = BinaryPrimitives.ReadUInt64LittleEndian(seed);
            ids._s1 = BinaryPrimitives.ReadUInt64LittleEndian(seed.Slice(8));
            ids._s2 = BinaryPrimitives.ReadUInt64LittleEndian(seed.Slice(16));
            ids._s3 = BinaryPrimitives.ReadUInt64LittleEndian(seed.Slice(24));
        }
        while ((ids._s0 | ids._s1 | ids._s2 | ids._s3) == 0);
        return ids;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
        return result;
    }
}
