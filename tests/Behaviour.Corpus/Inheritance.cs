namespace Behaviour;

// base. calls, T.Create() on a static abstract member and calls on type-parameter receivers are not intercepted: OTG1007 says so, and the cases check they behave as without OtelGen.
#pragma warning disable OTG1007

// Interfaces, default interface methods, virtual/override/new/sealed/abstract, explicit implementations,
// covariant returns, static abstract interface members (traced on the implementations).

public interface IShape
{
    [Traced]
    double Area();

    [Traced]
    string Describe() => "shape with area " + Area();
}

public sealed class Square(double side) : IShape
{
    public double Area() => side * side;
}

public sealed class Circle(double r) : IShape
{
    public double Area() => 3 * r * r;

    public string Describe() => "circle";
}

public sealed class Explicit : IShape
{
    double IShape.Area() => 2;

    string IShape.Describe() => "explicit";
}

public static class Interfaces
{
    public static void Run()
    {
        IShape[] shapes = { new Square(2), new Circle(1), new Explicit() };
        foreach (IShape s in shapes)
        {
            Say(s.GetType().Name, s.Area() + " / " + s.Describe());
        }
        var circle = new Circle(2);
        Say("class-typed call", circle.Describe());
    }
}

public abstract class Animal
{
    [Traced]
    public virtual string Sound() => "...";

    [Traced]
    public abstract int Legs();

    [Traced]
    public string Kind() => "animal";

    [Traced]
    public virtual Animal Self() => this;

    public string BaseSound() => Sound();
}

public class Dog : Animal
{
    public override string Sound() => "woof";

    public override int Legs() => 4;

    [Traced]
    public new string Kind() => "dog";

    public override Dog Self() => this;
}

public sealed class Puppy : Dog
{
    public sealed override string Sound() => "yip (" + base.Sound() + ")";
}

public class Bird : Animal
{
    [Traced]
    public override string Sound() => "tweet";

    public override int Legs() => 2;
}

public static class Virtuals
{
    public static void Run()
    {
        Animal a = new Dog();
        Dog d = new Dog();
        Puppy p = new Puppy();
        Animal b = new Bird();
        Say("base-typed sound", a.Sound());
        Say("derived-typed sound", d.Sound());
        Say("sealed override", p.Sound());
        Say("legs", a.Legs() + d.Legs() + b.Legs());
        Say("new through base", a.Kind());
        Say("new through derived", d.Kind());
        Say("override with attribute", b.Sound());
        Say("via base helper", p.BaseSound());
        Say("covariant", d.Self().GetType().Name);
        Say("covariant through base", a.Self().GetType().Name);
    }
}

public interface IFactory<TSelf> where TSelf : IFactory<TSelf>
{
    static abstract TSelf Create(int value);

    int Value { get; }
}

public sealed class Made(int value) : IFactory<Made>
{
    public int Value => value;

    [Traced]
    public static Made Create(int value) => new(value * 10);
}

public static class StaticAbstract
{
    public static int Build<T>(int value) where T : IFactory<T> => T.Create(value).Value;

    public static void Run()
    {
        Say("through type parameter", Build<Made>(1));
        Say("direct", Made.Create(2).Value);
    }
}

public interface IGreeter
{
    [Traced]
    string Greet(string name);
}

public sealed class Greeter : IGreeter
{
    public string Greet(string name) => "hello " + name;
}

public static class GenericInterfaceCalls
{
    public static string Via<T>(T greeter) where T : IGreeter => greeter.Greet("generic");

    public static void Run()
    {
        Say("via interface", ((IGreeter)new Greeter()).Greet("i"));
        Say("via constrained generic", Via(new Greeter()));
        Say("class-typed (not the interface method)", new Greeter().Greet("c"));
    }
}

public abstract class GenericVirtual
{
    [Traced]
    public virtual string Name<T>(T value) => "base " + typeof(T).Name;
}

public sealed class GenericOverride : GenericVirtual
{
    public override string Name<T>(T value) => "override " + typeof(T).Name + " " + value;
}

public static class GenericVirtuals
{
    public static void Run()
    {
        GenericVirtual g = new GenericOverride();
        Say("generic virtual", g.Name(3));
        Say("generic virtual string", g.Name("s"));
    }
}
