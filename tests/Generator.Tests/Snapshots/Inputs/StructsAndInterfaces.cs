using OtelGen;

namespace MyApp;

public struct Counter
{
    public int Value;

    [Traced]
    public int Increment(int by) => Value += by;

    [Traced]
    public readonly int Peek() => Value;
}

public readonly struct Point
{
    public Point(int x) { X = x; }
    public int X { get; }

    [Traced]
    public int Doubled() => 2 * X;
}

public interface IStore
{
    [Traced]
    string Load(int id);

    string Other(int id);
}

public sealed class MemoryStore : IStore
{
    public string Load(int id) => "item" + id;
    public string Other(int id) => "other" + id;
}

public abstract class Shape
{
    [Traced]
    public abstract double Area();

    [Traced]
    public virtual string Label() => "shape";
}

public sealed class Square : Shape
{
    public override double Area() => 4;
}

public static class Program
{
    public static void Run(IStore store, Shape shape)
    {
        var counter = new Counter();
        counter.Increment(2);
        _ = counter.Peek();
        _ = new Point(3).Doubled();
        _ = store.Load(1);
        _ = store.Other(1);
        _ = new MemoryStore().Load(2); // bound to the class, which carries no attribute: not traced
        _ = shape.Area();
        _ = shape.Label();
    }
}
