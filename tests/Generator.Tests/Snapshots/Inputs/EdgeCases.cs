using System;
using OtelGen;

namespace MyApp;

public struct Counter
{
    public int Value;

    [Traced]
    public int Increment() => ++Value;

    public readonly int FromReadonly() => new Counter().Increment();
}

public class Overloads
{
    [Traced]
    public int Run(int x) => x;

    [Traced]
    public int Run(string s) => s.Length;

    [Obsolete("use Run")]
    [Traced]
    public int Old() => 0;

    [Traced]
    public void @event() { }
}

public static class Cache<T>
{
    [Traced]
    public static T? Get(string key) => default;
}

public class Outer
{
    public class Inner
    {
        [Traced]
        public string Name() => "inner";
    }
}

public record Person(string Name)
{
    [Traced]
    public string Greet() => "hi " + Name;
}

public static class Extensions
{
    [Traced]
    public static void Bump(this ref Counter counter) => counter.Value++;
}

public static class Program
{
    private static readonly Counter s_frozen;

    public static int Frozen() => s_frozen.Increment();

    public static void Bump(ref Counter counter) => counter.Bump();

    public static void Run(Overloads? maybe)
    {
        _ = new Counter().Increment();
        var o = new Overloads();
        _ = o.Run(1) + o.Run("s");
#pragma warning disable CS0618
        _ = o.Old();
#pragma warning restore CS0618
        o.@event();
        _ = Cache<int>.Get("k");
        _ = Cache<string>.Get("k");
        _ = new Outer.Inner().Name();
        _ = new Person("ann").Greet();
        _ = maybe?.Run(2);
    }
}
