using System;

namespace OtelGen.Spans;

/// <summary>The type of an <see cref="AttributeValue"/>; one per OTLP <c>AnyValue</c> case that spans use.</summary>
public enum AttributeType : byte
{
    /// <summary>No value.</summary>
    None = 0,
    /// <summary>A string.</summary>
    String,
    /// <summary>A boolean.</summary>
    Bool,
    /// <summary>A 64-bit integer.</summary>
    Long,
    /// <summary>A double.</summary>
    Double,
    /// <summary>An array of strings.</summary>
    StringArray,
    /// <summary>An array of booleans.</summary>
    BoolArray,
    /// <summary>An array of 64-bit integers.</summary>
    LongArray,
    /// <summary>An array of doubles.</summary>
    DoubleArray,
}

/// <summary>
/// An attribute value of any OTLP primitive or array type, held without boxing: numbers and booleans in
/// an integer field, strings and arrays by reference.
/// </summary>
public readonly struct AttributeValue : IEquatable<AttributeValue>
{
    private readonly long _bits;
    private readonly object? _reference;

    /// <summary>Which case this value is.</summary>
    public AttributeType Type { get; }

    private AttributeValue(AttributeType type, long bits, object? reference)
    {
        Type = type;
        _bits = bits;
        _reference = reference;
    }

    /// <summary>A string value (null becomes an empty string).</summary>
    public static AttributeValue Of(string? value) => new(AttributeType.String, 0, value ?? string.Empty);
    /// <summary>A character, as the one-character string (ASCII ones without allocating).</summary>
    public static AttributeValue Of(char value) => Of(value < s_ascii.Length ? s_ascii[value] : value.ToString());

    private static readonly string[] s_ascii = CreateAscii();

    private static string[] CreateAscii()
    {
        var strings = new string[128];
        for (int i = 0; i < strings.Length; i++)
        {
            strings[i] = ((char)i).ToString();
        }
        return strings;
    }

    /// <summary>A boolean value.</summary>
    public static AttributeValue Of(bool value) => new(AttributeType.Bool, value ? 1 : 0, null);
    /// <summary>An integer value.</summary>
    public static AttributeValue Of(long value) => new(AttributeType.Long, value, null);
    /// <summary>A floating-point value.</summary>
    public static AttributeValue Of(double value) => new(AttributeType.Double, BitConverter.DoubleToInt64Bits(value), null);
    /// <summary>An array of strings (kept by reference: do not change it afterwards).</summary>
    public static AttributeValue Of(string[] value) => new(AttributeType.StringArray, 0, value);
    /// <summary>An array of booleans (kept by reference).</summary>
    public static AttributeValue Of(bool[] value) => new(AttributeType.BoolArray, 0, value);
    /// <summary>An array of integers (kept by reference).</summary>
    public static AttributeValue Of(long[] value) => new(AttributeType.LongArray, 0, value);
    /// <summary>An array of doubles (kept by reference).</summary>
    public static AttributeValue Of(double[] value) => new(AttributeType.DoubleArray, 0, value);

    /// <summary>Converts a string.</summary>
    public static implicit operator AttributeValue(string? value) => Of(value);
    /// <summary>Converts a boolean.</summary>
    public static implicit operator AttributeValue(bool value) => Of(value);
    /// <summary>Converts an integer.</summary>
    public static implicit operator AttributeValue(long value) => Of(value);
    /// <summary>Converts an integer.</summary>
    public static implicit operator AttributeValue(int value) => Of((long)value);
    /// <summary>Converts a double.</summary>
    public static implicit operator AttributeValue(double value) => Of(value);

    /// <summary>The string, for <see cref="AttributeType.String"/>.</summary>
    public string AsString() => Type == AttributeType.String ? (string)_reference! : throw Mismatch(AttributeType.String);
    /// <summary>The boolean, for <see cref="AttributeType.Bool"/>.</summary>
    public bool AsBool() => Type == AttributeType.Bool ? _bits != 0 : throw Mismatch(AttributeType.Bool);
    /// <summary>The integer, for <see cref="AttributeType.Long"/>.</summary>
    public long AsLong() => Type == AttributeType.Long ? _bits : throw Mismatch(AttributeType.Long);
    /// <summary>The double, for <see cref="AttributeType.Double"/>.</summary>
    public double AsDouble() => Type == AttributeType.Double ? BitConverter.Int64BitsToDouble(_bits) : throw Mismatch(AttributeType.Double);
    /// <summary>The array, for <see cref="AttributeType.StringArray"/>.</summary>
    public string[] AsStringArray() => Type == AttributeType.StringArray ? (string[])_reference! : throw Mismatch(AttributeType.StringArray);
    /// <summary>The array, for <see cref="AttributeType.BoolArray"/>.</summary>
    public bool[] AsBoolArray() => Type == AttributeType.BoolArray ? (bool[])_reference! : throw Mismatch(AttributeType.BoolArray);
    /// <summary>The array, for <see cref="AttributeType.LongArray"/>.</summary>
    public long[] AsLongArray() => Type == AttributeType.LongArray ? (long[])_reference! : throw Mismatch(AttributeType.LongArray);
    /// <summary>The array, for <see cref="AttributeType.DoubleArray"/>.</summary>
    public double[] AsDoubleArray() => Type == AttributeType.DoubleArray ? (double[])_reference! : throw Mismatch(AttributeType.DoubleArray);

    /// <summary>The value as an object (boxes numbers: for display and tests, not the hot path).</summary>
    public object? ToObject() => Type switch
    {
        AttributeType.None => null,
        AttributeType.Bool => AsBool(),
        AttributeType.Long => AsLong(),
        AttributeType.Double => AsDouble(),
        _ => _reference,
    };

    /// <summary>A readable form for tooltips and logs (invariant culture).</summary>
    public override string ToString() => Type switch
    {
        AttributeType.None => string.Empty,
        AttributeType.String => (string)_reference!,
        AttributeType.Bool => _bits != 0 ? "true" : "false",
        AttributeType.Long => _bits.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeType.Double => AsDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        AttributeType.StringArray => "[" + string.Join(", ", AsStringArray()) + "]",
        AttributeType.BoolArray => "[" + string.Join(", ", Array.ConvertAll(AsBoolArray(), b => b ? "true" : "false")) + "]",
        AttributeType.LongArray => "[" + string.Join(", ", AsLongArray()) + "]",
        AttributeType.DoubleArray => "[" + string.Join(", ", Array.ConvertAll(AsDoubleArray(), d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]",
        _ => string.Empty,
    };

    /// <inheritdoc/>
    public bool Equals(AttributeValue other) => Type == other.Type && _bits == other._bits && Equals(_reference, other._reference);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AttributeValue other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, _bits, _reference);

    private InvalidOperationException Mismatch(AttributeType wanted) => new($"The attribute value is {Type}, not {wanted}.");
}

/// <summary>A span, event or link attribute: a key and a value (OTLP <c>KeyValue</c>).</summary>
public readonly struct KeyValue : IEquatable<KeyValue>
{
    /// <summary>The attribute key, e.g. <c>db.collection.name</c>.</summary>
    public readonly string Key;
    /// <summary>The value.</summary>
    public readonly AttributeValue Value;

    /// <summary>Makes an attribute.</summary>
    public KeyValue(string key, AttributeValue value) { Key = key; Value = value; }

    /// <inheritdoc/>
    public override string ToString() => Key + "=" + Value.ToString();
    /// <inheritdoc/>
    public bool Equals(KeyValue other) => Key == other.Key && Value.Equals(other.Value);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyValue other && Equals(other);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Key, Value);
}
