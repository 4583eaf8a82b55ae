namespace Behaviour;

// Parameters: ref/out/in/ref readonly/scoped, params arrays and spans, optional and named arguments (and the
// order in which their side effects run), keyword-named parameters, nullable value types, spans (nullable
// annotations: Breakers/Breakers.cs).

public static class RefOutIn
{
    [Traced]
    public static void Increment(ref int x) => x++;

    [Traced]
    public static bool TryHalf(int x, out int half)
    {
        half = x / 2;
        return x % 2 == 0;
    }

    [Traced]
    public static long SumIn(in StructCopies.Large l) => l.A + l.H;

    [Traced]
    public static int ReadRefReadonly(ref readonly int x) => x + 1;

    [Traced]
    public static void AddBoth(ref int a, ref int b)
    {
        a++;
        b += 10;
    }

    [Traced]
    public static int ScopedSum(scoped Span<int> values)
    {
        int s = 0;
        foreach (int v in values)
        {
            s += v;
        }
        return s;
    }

    [Traced]
    public static void ScopedRef(scoped ref int x) => x *= 3;

    [Traced]
    public static void OutDiscard(out string text, out int number)
    {
        text = "t";
        number = 4;
    }

    public static void Run()
    {
        int x = 1;
        Increment(ref x);
        Say("ref", x);
        Say("out ok", TryHalf(10, out int h) + " " + h);
        Say("out odd", TryHalf(7, out int h2) + " " + h2);
        var l = StructCopies.MakeLarge(5);
        Say("in", SumIn(in l));
        Say("in rvalue", SumIn(StructCopies.MakeLarge(1)));
        int y = 41;
        Say("ref readonly", ReadRefReadonly(ref y));
        Say("ref readonly with in", ReadRefReadonly(in y));
        int z = 0;
        AddBoth(ref z, ref z);
        Say("aliased refs", z);
        Say("scoped span", ScopedSum(stackalloc int[] { 1, 2, 3 }));
        int w = 2;
        ScopedRef(ref w);
        Say("scoped ref", w);
        OutDiscard(out _, out int n);
        Say("out discard", n);
        int[] arr = { 5, 6 };
        Increment(ref arr[1]);
        Say("ref array element", arr[1]);
    }
}

public static class ParamsArguments
{
    [Traced]
    public static int Count(params int[] values) => values.Length;

    [Traced]
    public static string Join(string separator, params string?[]? parts) => parts is null ? "<null array>" : string.Join(separator, parts);

    [Traced]
    public static int SpanSum(params ReadOnlySpan<int> values)
    {
        int s = 0;
        foreach (int v in values)
        {
            s += v;
        }
        return s;
    }

    [Traced]
    public static int ListCount(params List<int> values) => values.Count;

    [Traced]
    public static bool SameArray(int[] expected, params int[] values) => ReferenceEquals(expected, values);

    public static void Run()
    {
        Say("none", Count());
        Say("three", Count(1, 2, 3));
        Say("array", Count(new[] { 1, 2 }));
        Say("join", Join("-", "a", null, "c"));
        Say("join null array", Join("-", null));
        Say("join one null", Join("-", (string?)null));
        Say("span", SpanSum(1, 2, 3, 4));
        Say("span empty", SpanSum());
        Say("list", ListCount(1, 2));
        int[] a = { 1 };
        Say("array passed through", SameArray(a, a));
    }
}

public static class OptionalNamed
{
    private static readonly List<string> s_order = new();

    private static int Next(string label, int value)
    {
        s_order.Add(label);
        return value;
    }

    [Traced]
    public static string Three(int a, int b = 2, int c = 3) => $"{a},{b},{c}";

    [Traced]
    public static string Defaults(string s = "default", double d = 1.5, DayOfWeek day = DayOfWeek.Friday, decimal m = 1.25m, object? o = null, int? n = null, MutableStruct ms = default)
        => $"{s},{d},{day},{m},{Show(o)},{Show(n)},{ms.Value}";

    [Traced]
    public static string Strings(string a, string b) => a + b;

    public static void Run()
    {
        Say("positional", Three(1));
        Say("named", Three(c: 30, a: 10));
        Say("all named reversed", Three(c: Next("c", 3), b: Next("b", 2), a: Next("a", 1)));
        Say("order", string.Join(",", s_order));
        s_order.Clear();
        Say("mixed", Three(Next("a", 1), c: Next("c", 3)));
        Say("order", string.Join(",", s_order));
        s_order.Clear();
        Say("defaults", Defaults());
        Say("defaults some", Defaults(d: 2, o: "x"));
        int i = 0;
        Say("increments", Three(i++, i++, i++) + " i=" + i);
        Say("named strings", Strings(b: Next("B", 0).ToString(), a: Next("A", 1).ToString()));
        Say("order", string.Join(",", s_order));
    }
}

public static class KeywordNames
{
    [Traced]
    public static int Keywords(int @class, int @int, string @event, bool @is) => @class + @int + @event.Length + (@is ? 1 : 0);

    // Parameters named like the locals the generated code declares.
    [Traced]
    public static int LocalNames(int scope, int result, int ex, int span, int task, int value, int target) => scope + result + ex + span + task + value + target;

    [Traced]
    public static string Contextual(int var, int async, int await, int nameof, int dynamic, int record, int args) => $"{var}{async}{await}{nameof}{dynamic}{record}{args}";

    [Traced]
    public static int Underscores(int _, int __) => _ + __;

    public static void Run()
    {
        Say("keywords", Keywords(1, 2, "abc", true));
        Say("named keywords", Keywords(@is: false, @event: "", @int: 5, @class: 5));
        Say("local names", LocalNames(1, 2, 3, 4, 5, 6, 7));
        Say("contextual", Contextual(1, 2, 3, 4, 5, 6, 7));
        Say("underscores", Underscores(20, 22));
    }
}

public static class NullableValueTypes
{
    [Traced]
    public static int? Add(int? a, int? b) => a + b;

    [Traced]
    public static bool? Not(bool? b) => !b;

    [Traced]
    public static DayOfWeek? Day(int? n) => n is { } v ? (DayOfWeek)v : null;

    public static void Run()
    {
        Say("add", Add(1, 2));
        Say("add null", Add(1, null));
        Say("not", Not(true));
        Say("not null", Not(null));
        Say("day", Day(3));
        Say("day null", Day(null));
    }
}

public static class SpanParameters
{
    [Traced]
    public static int Sum(Span<int> values)
    {
        int s = 0;
        foreach (ref int v in values)
        {
            v *= 2;
            s += v;
        }
        return s;
    }

    [Traced]
    public static ReadOnlySpan<char> Middle(ReadOnlySpan<char> text) => text.Slice(1, text.Length - 2);

    [Traced]
    public static Span<int> Tail(Span<int> values) => values[1..];

    [Traced]
    public static int Memory(ReadOnlyMemory<byte> bytes) => bytes.Length;

    public static void Run()
    {
        int[] data = { 1, 2, 3 };
        Say("sum", Sum(data));
        Say("doubled in place", string.Join(",", data));
        Say("middle", Middle("[abc]").ToString());
        Span<int> tail = Tail(data);
        tail[0] = 100;
        Say("tail writes through", data[1]);
        Say("memory", Memory(new byte[7]));
    }
}
