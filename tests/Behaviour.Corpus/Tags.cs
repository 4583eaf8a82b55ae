namespace Behaviour;

// [Tag] on every recordable type with extreme values (the project is built with CheckForOverflowUnderflow),
// UseToString, ReturnTag, a ToString that throws.

public enum Colour : ulong
{
    Red = 1,
    Huge = ulong.MaxValue,
}

public enum Small : sbyte
{
    Negative = sbyte.MinValue,
}

public static class TagIntegers
{
    [Traced]
    public static string Ints([Tag("corpus.i")] int i, [Tag("corpus.l")] long l, [Tag("corpus.u")] uint u, [Tag("corpus.ul")] ulong ul)
        => $"{i} {l} {u} {ul}";

    [Traced]
    public static string Smalls([Tag("corpus.b")] byte b, [Tag("corpus.sb")] sbyte sb, [Tag("corpus.s")] short s, [Tag("corpus.us")] ushort us)
        => $"{b} {sb} {s} {us}";

    [Traced]
    public static string Native([Tag("corpus.ni")] nint ni) => ni.ToString();

    [Traced]
    public static string NativeUnsigned([Tag("corpus.nu")] nuint nu) => nu.ToString();

    public static void Run()
    {
        Say(Ints(int.MinValue, long.MinValue, uint.MaxValue, ulong.MaxValue));
        Say(Ints(int.MaxValue, long.MaxValue, 0, 0));
        Say(Smalls(byte.MaxValue, sbyte.MinValue, short.MinValue, ushort.MaxValue));
        Say(Native(nint.MinValue));
        Say(Native(nint.MaxValue));
        Try("nuint max", () => NativeUnsigned(nuint.MaxValue));
        Try("nuint small", () => NativeUnsigned(5));
    }
}

public static class TagFloats
{
    [Traced]
    public static string Floats([Tag("corpus.d")] double d, [Tag("corpus.f")] float f, [Tag("corpus.m")] decimal m) => $"{d} {f} {m}";

    public static void Run()
    {
        Say(Floats(double.NaN, float.NegativeInfinity, decimal.MaxValue));
        Say(Floats(double.MaxValue, float.Epsilon, decimal.MinValue));
        Say(Floats(-0.0, float.NaN, 0.0000000000000000000000000001m));
    }
}

public static class TagOthers
{
    [Traced]
    public static string Others([Tag("corpus.flag")] bool flag, [Tag("corpus.colour")] Colour colour, [Tag("corpus.small")] Small small, [Tag("corpus.text")] string? text)
        => $"{flag} {colour} {small} {Show(text)}";

    [Traced]
    public static string Nullables([Tag("corpus.ni")] int? i, [Tag("corpus.nul")] ulong? ul, [Tag("corpus.nd")] double? d, [Tag("corpus.nc")] Colour? c, [Tag("corpus.nb")] bool? b)
        => $"{Show(i)} {Show(ul)} {Show(d)} {Show(c)} {Show(b)}";

    [Traced]
    public static int Arrays([Tag("corpus.ia")] int[]? ints, [Tag("corpus.la")] long[] longs, [Tag("corpus.sa")] string?[] strings, [Tag("corpus.da")] double[] doubles, [Tag("corpus.ba")] bool[] bools, [Tag("corpus.ula", UseToString = true)] ulong[] ulongs, [Tag("corpus.ma")] decimal[] decimals)
        => (ints?.Length ?? -1) + longs.Length + strings.Length + doubles.Length + bools.Length + ulongs.Length + decimals.Length;

    [Traced]
    public static string Character([Tag("corpus.ch", UseToString = true)] char c) => c.ToString();

    [Traced]
    public static int CharCode([Tag("corpus.char")] char c) => c;

    public static void Run()
    {
        Say(Others(true, Colour.Huge, Small.Negative, null));
        Say(Others(false, (Colour)12345, (Small)5, "t"));
        Say(Nullables(null, null, null, null, null));
        Say(Nullables(int.MinValue, ulong.MaxValue, double.NaN, Colour.Huge, false));
        Say("arrays", Arrays(new[] { int.MinValue }, new[] { long.MaxValue }, new string?[] { null, "s" }, new[] { double.NaN }, new[] { true }, new[] { ulong.MaxValue }, new[] { decimal.MaxValue }));
        Say("null array", Arrays(null, Array.Empty<long>(), Array.Empty<string?>(), Array.Empty<double>(), Array.Empty<bool>(), Array.Empty<ulong>(), Array.Empty<decimal>()));
        Say("char", Character(char.MaxValue).Length);
        Say("char nul", Character('\0').Length);
        Say("char code", CharCode(char.MaxValue));
        Say("surrogate", CharCode('\uD800'));
    }
}

public readonly struct Money(decimal amount)
{
    public override string ToString() => amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " EUR";
}

public sealed class Fussy
{
    public static int ToStringCalls;

    public override string ToString()
    {
        ToStringCalls++;
        throw new InvalidOperationException("ToString is not for you");
    }
}

public sealed class NullText
{
    public override string? ToString() => null;
}

public static class TagToString
{
    [Traced]
    public static string Enum([Tag("corpus.day", UseToString = true)] DayOfWeek day, [Tag("corpus.colour", UseToString = true)] Colour colour) => day + " " + colour;

    [Traced]
    public static string Struct([Tag("corpus.money", UseToString = true)] Money money) => "paid " + money;

    [Traced]
    public static string Object([Tag("corpus.object", UseToString = true)] object? o) => o is null ? "null" : o.GetType().Name;

    [Traced]
    public static string FussyArgument([Tag("corpus.fussy", UseToString = true)] Fussy f) => "fussy argument accepted";

    [Traced]
    public static string NullToString([Tag("corpus.nulltext", UseToString = true)] NullText t) => "null text";

    public static void Run()
    {
        Say(Enum(DayOfWeek.Sunday, (Colour)7));
        Say(Struct(new Money(12.5m)));
        Say(Object(null));
        Say(Object(new List<int>()));
        Try("throwing ToString", () => FussyArgument(new Fussy()));
        Say(NullToString(new NullText()));
    }
}

public static class ReturnTags
{
    [Traced(ReturnTag = "corpus.result")]
    public static ulong Max() => ulong.MaxValue;

    [Traced(ReturnTag = "corpus.result")]
    public static nuint NativeMax() => nuint.MaxValue;

    [Traced(ReturnTag = "corpus.result")]
    public static string? MaybeText(bool give) => give ? "text" : null;

    [Traced(ReturnTag = "corpus.result")]
    public static async Task<long> LaterAsync()
    {
        await Task.Yield();
        return long.MinValue;
    }

    [Traced(ReturnTag = "corpus.result")]
    public static ValueTask<double> NaNAsync() => new(double.NaN);

    public static void Run()
    {
        Say("ulong max", Max());
        Try("nuint max", () => NativeMax());
        Say("null text", MaybeText(false));
        Say("text", MaybeText(true));
        Say("async", LaterAsync().Result);
        Say("value task", NaNAsync().Result);
    }
}

public static class Effects
{
    [Effect("db.get", Target = "corpus_row")]
    public static string Get([Tag("corpus.id")] int id) => id < 0 ? throw new KeyNotFoundException("no row " + id) : "row " + id;

    [Effect("cache.get", Target = "corpus_cache", Required = false)]
    public static string? Cached(int id) => id % 2 == 0 ? "hit" : throw new TimeoutException("cache timeout");

    [Effect("http.get", Target = "corpus_feed")]
    public static async Task<int> FetchAsync(int n)
    {
        await Task.Yield();
        return n * 3;
    }

    public static void Run()
    {
        Say(Get(1));
        Try("missing", () => Get(-1));
        Say("cached", Cached(2));
        Try("optional failure is still thrown", () => Cached(3));
        Say("fetch", FetchAsync(2).Result);
    }
}
