using System.Collections.Generic;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

public static class ShapeExtensions
{
    [Traced]
    public static string Shout(this string text) => text.ToUpperInvariant() + "!";
}

public static class GenericSample
{
    [Traced]
    public static T Echo<T>(T value) => value;

    // Generic code calling a traced generic method: the interceptor is generic too.
    public static List<T> EchoAll<T>(IEnumerable<T> values)
    {
        var result = new List<T>();
        foreach (T value in values)
        {
            result.Add(Echo(value));
        }
        return result;
    }
}

public class Box<T>
{
    private T _value;

    public Box(T value) { _value = value; }

    [Traced]
    public T Swap(T value)
    {
        T old = _value;
        _value = value;
        return old;
    }
}

public struct Tally
{
    public int Count;

    [Traced]
    public int Add(int by) => Count += by;

    [Traced]
    public readonly int Read() => Count;
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

public abstract class Animal
{
    [Traced]
    public virtual string Sound() => "...";
}

public sealed class Dog : Animal
{
    public override string Sound() => "woof";
}

public class ShapeTests
{
    [Fact]
    public void Extension_methods_are_traced_in_both_call_forms()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal("HI!", "hi".Shout());
        Assert.Equal("YO!", ShapeExtensions.Shout("yo"));
        Assert.Equal(2, Recorded.Since(before).FindAll(s => s.Name == "ShapeExtensions.Shout").Count);
    }

    [Fact]
    public void Generic_methods_are_traced_from_generic_and_closed_code()
    {
        long before = Tracing.Ring.Written;
        Assert.Equal(5, GenericSample.Echo(5));
        Assert.Equal(new[] { "a", "b" }, GenericSample.EchoAll(new[] { "a", "b" }));
        Assert.Equal(3, Recorded.Since(before).FindAll(s => s.Name == "GenericSample.Echo").Count);
    }

    [Fact]
    public void Methods_of_generic_types_are_traced()
    {
        long before = Tracing.Ring.Written;
        var box = new Box<string>("a");
        Assert.Equal("a", box.Swap("b"));
        Assert.Equal("b", box.Swap("c"));
        Assert.Equal(2, Recorded.Since(before).FindAll(s => s.Name == "Box.Swap").Count);
    }

    [Fact]
    public void Struct_methods_are_traced_and_mutate_the_callers_struct()
    {
        long before = Tracing.Ring.Written;
        var tally = new Tally();
        tally.Add(2);
        tally.Add(3);
        Assert.Equal(5, tally.Count);
        Assert.Equal(5, tally.Read());
        Assert.Equal(2, Recorded.Since(before).FindAll(s => s.Name == "Tally.Add").Count);
        Recorded.Single("Tally.Read", before);
    }

    [Fact]
    public void Calls_through_an_attributed_interface_method_are_traced()
    {
        long before = Tracing.Ring.Written;
        IGreeter greeter = new Greeter();
        Assert.Equal("hello ann", greeter.Greet("ann"));
        SpanRecord span = Recorded.Single("IGreeter.Greet", before);
        Assert.Equal("OtelGen.Runtime.Tests.Generated.IGreeter.Greet", Recorded.Attribute(span, "code.function.name").AsString());
    }

    [Fact]
    public void Virtual_calls_run_the_override_inside_the_span()
    {
        long before = Tracing.Ring.Written;
        Animal animal = new Dog();
        Assert.Equal("woof", animal.Sound());
        Recorded.Single("Animal.Sound", before);
    }
}
