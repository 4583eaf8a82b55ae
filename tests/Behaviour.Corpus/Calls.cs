using System.Linq;

namespace Behaviour;

// Where calls are written: method groups and delegates, conditional access, lambdas, local functions,
// expression-bodied members, properties, field initializers, static constructors, extension methods.

public sealed class MathBox
{
    [Traced]
    public int Twice(int x) => 2 * x;

    [Traced]
    public static int Inc(int x) => x + 1;

    [Traced]
    public void Touch(List<string> log) => log.Add("touched");

    [Traced]
    public int? Nullable(int x) => x == 0 ? null : x;
}

public static class MethodGroups
{
#pragma warning disable OTG3001 // a method group is not a call site: no span, in either build
    public static void Run()
    {
        var box = new MathBox();
        Func<int, int> twice = box.Twice;
        Func<int, int> inc = MathBox.Inc;
        Say("delegate", twice(5) + inc(5));
        Say("method name", twice.Method.Name + " " + inc.Method.Name);
        Say("target is the box", ReferenceEquals(twice.Target, box));
        Func<int, int> again = box.Twice;
        Say("delegates equal", twice.Equals(again));
        Say("linq", string.Join(",", System.Linq.Enumerable.Select(new[] { 1, 2 }, MathBox.Inc)));
        Action<List<string>> touch = box.Touch;
        var log = new List<string>();
        touch(log);
        Say("action", log.Count);
        Func<int, int> lambda = x => box.Twice(x);
        Say("lambda", lambda(4));
    }
#pragma warning restore OTG3001
}

public static class ConditionalAccess
{
    public static void Run()
    {
        MathBox? none = null;
        MathBox? some = new();
        Say("null receiver", none?.Twice(1));
        Say("receiver", some?.Twice(1));
        Say("coalesce", none?.Twice(Boom()) ?? -1);
        Say("nullable result", some?.Nullable(0) ?? -2);
        var log = new List<string>();
        none?.Touch(log);
        some?.Touch(log);
        Say("touched", log.Count);
        List<MathBox>? list = new() { new MathBox() };
        Say("chained", list?[0]?.Twice(7));
    }

    private static int Boom() => throw new InvalidOperationException("arguments of a skipped call are not evaluated");
}

public static class LambdasAndLocalFunctions
{
    public static void Run()
    {
        var box = new MathBox();
        Func<int, int> f = x => box.Twice(x) + MathBox.Inc(x);
        Say("lambda", f(3));
        Say("static lambda", ((Func<int, int>)(static x => MathBox.Inc(x)))(9));
        int Local(int x) => box.Twice(x);
        static int StaticLocal(int x) => MathBox.Inc(MathBox.Inc(x));
        Say("local function", Local(8) + StaticLocal(0));
        Func<Func<int>> nested = () => () => box.Twice(100);
        Say("nested lambda", nested()());
        var items = new List<int> { 3, 1, 2 };
        items.Sort((a, b) => MathBox.Inc(a).CompareTo(MathBox.Inc(b)));
        Say("sort comparer", string.Join(",", items));
        Say("query", string.Join(",", from i in items where MathBox.Inc(i) > 2 select box.Twice(i)));
        Lazy<int> lazy = new(() => box.Twice(50));
        Say("lazy", lazy.Value);
    }
}

public sealed class Members
{
    private readonly int _seed = MathBox.Inc(41);
    public static readonly int StaticSeed = MathBox.Inc(99);
    private readonly MathBox _box = new();

    public int Computed => _box.Twice(_seed);

    public int this[int i] => _box.Twice(i);

    public int ExpressionBodied() => MathBox.Inc(_seed);

    public Members()
    {
        Constructed = _box.Twice(1);
    }

    public int Constructed { get; }

    public int Auto { get; } = MathBox.Inc(-1);

    public event Action<int>? Raised;

    public void Raise() => Raised?.Invoke(_box.Twice(2));

    public static void Run()
    {
        var m = new Members();
        Say("field initializer", m._seed);
        Say("static field initializer", StaticSeed);
        Say("property", m.Computed);
        Say("indexer", m[6]);
        Say("expression bodied", m.ExpressionBodied());
        Say("constructor", m.Constructed);
        Say("auto property initializer", m.Auto);
        int raised = 0;
        m.Raised += v => raised = MathBox.Inc(v);
        m.Raise();
        Say("event", raised);
    }
}

public static class StaticConstructorOrder
{
    public static readonly List<string> Log = new();

    public static class WithCctor
    {
        public static readonly int Value;

        static WithCctor()
        {
            Log.Add("cctor start");
            Value = MathBox.Inc(1);
            Log.Add("cctor end");
        }

        [Traced]
        public static int Get()
        {
            Log.Add("get");
            return Value;
        }
    }

    public static void Run()
    {
        Log.Add("before");
        int v = WithCctor.Get();
        Log.Add("after");
        Say("value", v);
        Say("order", string.Join(",", Log));
    }
}

public static class StringExtensions
{
    [Traced]
    public static string Shout(this string s) => s.ToUpperInvariant() + "!";

    [Traced]
    public static int Bump(this ref MutableStruct s) => ++s.Value;

    [Traced]
    public static int Peek(this in MutableStruct s) => s.Value;

    [Traced]
    public static T FirstOr<T>(this IEnumerable<T> items, T fallback)
    {
        foreach (T item in items)
        {
            return item;
        }
        return fallback;
    }

    [Traced]
    public static bool IsNull(this object? o) => o is null;

    [Traced]
    public static int CountAll<T>(this ICollection<T> c) where T : struct => c.Count;
}

public static class ExtensionMethods
{
    public static void Run()
    {
        Say("shout", "hi".Shout());
        Say("static form", StringExtensions.Shout("ho"));
        var s = new MutableStruct { Value = 1 };
        s.Bump();
        s.Bump();
        Say("ref extension", s.Value);
        StringExtensions.Bump(ref s);
        Say("ref extension static form", s.Peek());
        Say("generic", new[] { 5, 6 }.FirstOr(0));
        Say("generic fallback", Array.Empty<string>().FirstOr("none"));
        string? nothing = null;
        Say("null receiver", nothing.IsNull());
        Say("constrained", new List<int> { 1, 2, 3 }.CountAll());
        var holder = new StructHolder();
        holder.Field.Bump();
        holder.Array[0].Bump();
        Say("ref extension on field and element", holder.Field.Value + holder.Array[0].Value);
    }
}
