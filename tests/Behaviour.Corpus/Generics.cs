namespace Behaviour;

// Generic methods and types, constraints, constrained calls on struct receivers.

public static class GenericMethods
{
    [Traced]
    public static T Echo<T>(T value) => value;

    [Traced]
    public static void Swap<T>(ref T a, ref T b) => (a, b) = (b, a);

    [Traced]
    public static string ClassOnly<T>(T value) where T : class => value.GetType().Name;

    [Traced]
    public static T? StructOnly<T>(T value) where T : struct => value;

    [Traced]
    public static int SizeOf<T>() where T : unmanaged => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    [Traced]
    public static int Hash<T>(T value) where T : notnull => value.GetHashCode() == value.GetHashCode() ? 1 : 0;

    [Traced]
    public static T Make<T>() where T : new() => new T();

    [Traced]
    public static int LengthOf<T>(T value) where T : allows ref struct => typeof(T).Name.Length;

    [Traced]
    public static TOut Map<TIn, TOut>(TIn value, Func<TIn, TOut> f) => f(value);

    [Traced]
    public static int Compare<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b);

    [Traced]
    public static T MaybeNull<T>(bool give, T value) => give ? value : default!;

    public static int CallFromGenericCode<T>(T value) where T : IComparable<T> => Compare(value, value) + Echo(1);

    public static void Run()
    {
        Say("echo int", Echo(5));
        Say("echo string", Echo("s"));
        Say("echo null", Echo<string?>(null));
        int a = 1, b = 2;
        Swap(ref a, ref b);
        Say("swap", a + "," + b);
        Say("class", ClassOnly(new List<int>()));
        Say("struct", StructOnly(3.5));
        Say("unmanaged", SizeOf<(long, byte)>());
        Say("notnull", Hash("x"));
        Say("new", Make<List<string>>().Count);
        Say("allows ref struct", LengthOf<Span<int>>(stackalloc int[2]));
        Say("allows ref struct (class)", LengthOf("abc"));
        Say("map", Map(21, x => x * 2));
        Say("compare", Compare("a", "b"));
        Say("from generic code", CallFromGenericCode(4.5m));
        Say("maybe null", MaybeNull(false, "v"));
    }
}

public sealed class Box<T>
{
    public T Value;

    public Box(T value) => Value = value;

    [Traced]
    public T Get() => Value;

    [Traced]
    public void Set(T value) => Value = value;

    [Traced]
    public TResult Convert<TResult>(Func<T, TResult> f) => f(Value);

    [Traced]
    public static Box<T> Of(T value) => new(value);

    public sealed class Inner<U>
    {
        [Traced]
        public string Describe(T t, U u) => typeof(T).Name + "/" + typeof(U).Name + ":" + t + "," + u;
    }
}

public struct Pair<TA, TB>
    where TA : struct
    where TB : class
{
    public TA First;
    public TB? Second;

    [Traced]
    public void SetFirst(TA value) => First = value;

    [Traced]
    public readonly string Text() => First + "/" + (Second?.ToString() ?? "null");
}

public static class GenericTypes
{
    public static void Run()
    {
        var box = new Box<int>(1);
        box.Set(box.Get() + 1);
        Say("box", box.Get());
        Say("convert", box.Convert(v => "#" + v));
        Say("of", Box<string>.Of("s").Get());
        Say("inner", new Box<int>.Inner<string>().Describe(1, "u"));
        var pair = new Pair<int, string>();
        pair.SetFirst(7);
        pair.Second = "two";
        Say("pair", pair.Text());
        Say("generic in generic", Wrap<long>.Twice(21));
    }
}

public static class Wrap<T>
    where T : System.Numerics.INumber<T>
{
    [Traced]
    public static T Twice(T value) => value + value;
}

public interface ICounter
{
    int Count { get; }

    [Traced]
    void Inc();
}

public struct Counter : ICounter
{
    private int _count;

    public readonly int Count => _count;

    public void Inc() => _count++;
}

// a call on a receiver of a type-parameter type that may be a struct is not intercepted (the interceptor would box it): OTG1007 says so, and the case checks that the mutation is kept.
#pragma warning disable OTG1007
public static class ConstrainedCalls
{
    public static void Bump<T>(ref T c) where T : ICounter => c.Inc();

    public static T BumpCopy<T>(T c) where T : ICounter
    {
        c.Inc();
        return c;
    }

    public static int BumpTwice<T>(T c) where T : ICounter
    {
        c.Inc();
        c.Inc();
        return c.Count;
    }

    public static void Run()
    {
        var c = new Counter();
        Bump(ref c);
        Say("bump by ref", c.Count);
        Say("bump a copy", BumpCopy(c).Count);
        Say("caller's copy", c.Count);
        Say("bump twice", BumpTwice(c));
        ICounter boxed = c;
        boxed.Inc();
        Say("boxed", boxed.Count);
        Say("original after boxing", c.Count);
        var array = new Counter[1];
        Bump(ref array[0]);
        Say("array element", array[0].Count);
    }
}
#pragma warning restore OTG1007
