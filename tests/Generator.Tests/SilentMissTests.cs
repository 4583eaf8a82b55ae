using System;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Every call of an instrumented method gets a span or a diagnostic, and no call changes behaviour: the cases that
/// used to run without either (issue 27, items 2 and 9). Programs are compiled with the generator, loaded and run.
/// </summary>
public class SilentMissTests
{
    private static Build.Result Build(string body) => Tests.Build.Run(("Input.cs", """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using OtelGen;

        namespace MyApp;

        """ + body));

    private static object? Call(Assembly assembly, string type, string method, params object?[] arguments) =>
        assembly.GetType("MyApp." + type)!.GetMethod(method)!.Invoke(null, arguments);

    private static bool Recorded(string spanName) => OtelGen.Tracing.Ring.Snapshot().Any(s => s.Name == spanName);

    private const string Counters = """
        public interface ICounter { [Traced("counter.inc")] void Inc(); }
        public struct Counter : ICounter { public int Value; public void Inc() => Value++; }
        public sealed class Box : ICounter { public int Value; public void Inc() => Value++; }

        """;

    [Fact]
    public void A_struct_mutated_through_a_constrained_generic_call_keeps_the_mutation_and_the_call_is_reported()
    {
        var build = Build(Counters + """
            public static class Program
            {
                static void Bump<T>(ref T counter) where T : ICounter => counter.Inc();
                public static int Run() { var c = new Counter(); Bump(ref c); return c.Value; }
            }
            """);

        Assert.Equal(1, Call(build.Load(), "Program", "Run"));
        Assert.Null(build.Generated);
        Diagnostic d = Assert.Single(build.Diagnostics);
        Assert.Equal("OTG1007", d.Id);
        Assert.Equal("Inc", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Contains("This call to 'ICounter.Inc' is not traced: the receiver is of type parameter 'T', which may be a struct", d.GetMessage());
        Assert.Contains("constrain 'T' to class", d.GetMessage());
    }

    [Fact]
    public void A_generic_receiver_known_to_be_a_reference_or_a_nullable_struct_is_decided_the_same_way()
    {
        var build = Build(Counters + """
            public static class Program
            {
                static void Hit<T>(T counter) where T : class, ICounter => counter.Inc();
                static void Maybe<T>(T? counter) where T : struct, ICounter => counter?.Inc();
                public static int Run() { var b = new Box(); Hit(b); Maybe<Counter>(new Counter()); return b.Value; }
            }
            """);

        Assert.Equal(1, Call(build.Load(), "Program", "Run"));
        Assert.Matches(@"Intercepts: Input\.cs\(12,\d+\): counter\.Inc\(\)", build.Generated);
        Assert.Equal(new[] { "OTG1007" }, build.Diagnostics.Select(d => d.Id));
        Assert.Contains("type parameter 'T', which may be a struct", build.Diagnostics[0].GetMessage());
    }

    [Fact]
    public void An_override_called_through_its_own_type_is_traced_by_the_attribute_on_the_base()
    {
        var build = Build("""
            public abstract class Animal
            {
                [Traced] public abstract int Legs();
                [Traced("animal.sound")] public virtual string Sound() => "";
            }
            public class SilentMissDog : Animal
            {
                public override int Legs() => 4;
                public override string Sound() => "woof";
            }
            public static class Program
            {
                public static string Run() { var dog = new SilentMissDog(); Animal animal = dog; return dog.Legs() + dog.Sound() + animal.Legs(); }
            }
            """);

        Assert.Empty(build.Diagnostics);
        Assert.Matches(@"Intercepts: Input\.cs\(19,\d+\): dog\.Legs\(\)", build.Generated);
        Assert.Matches(@"Intercepts: Input\.cs\(19,\d+\): dog\.Sound\(\)", build.Generated);
        Assert.Contains("SilentMissDog_Legs(this global::MyApp.SilentMissDog @this)", build.Generated);
        Assert.Contains("Animal_Legs(this global::MyApp.Animal @this)", build.Generated);

        Assert.Equal("4woof4", Call(build.Load(), "Program", "Run"));
        Assert.True(Recorded("SilentMissDog.Legs"), "no span for dog.Legs()");
        Assert.True(Recorded("animal.sound"), "no span for dog.Sound()");
    }

    [Fact]
    public void An_override_with_NoTrace_stays_untraced()
    {
        var build = Build("""
            public abstract class Animal { [Traced] public abstract int Legs(); }
            public class Dog : Animal { [NoTrace] public override int Legs() => 4; }
            public static class Program { public static int Run(Dog dog) => dog.Legs(); }
            """);
        Assert.Empty(build.Diagnostics);
        Assert.Null(build.Generated);
    }

    [Fact]
    public void A_call_with_a_dynamic_argument_gets_no_interceptor_and_is_reported()
    {
        var build = Build("""
            public static class Work { [Traced] public static int Twice(int x) => 2 * x; }
            public static class Program { public static int Run(dynamic value) => Work.Twice(value); }
            """);

        Assert.Null(build.Generated);
        Diagnostic d = Assert.Single(build.Diagnostics);
        Assert.Equal("OTG1007", d.Id);
        Assert.Contains("This call to 'Work.Twice' is not traced: an argument is dynamic", d.GetMessage());
    }

    [Fact]
    public void A_static_abstract_call_through_a_type_parameter_with_a_traced_implementation_is_reported()
    {
        var build = Build("""
            public interface IFactory<TSelf> where TSelf : IFactory<TSelf> { static abstract TSelf Create(); }
            public sealed class Widget : IFactory<Widget> { [Traced] public static Widget Create() => new(); }
            public static class Program
            {
                public static T Make<T>() where T : IFactory<T> => T.Create();
                public static Widget Direct() => Widget.Create();
            }
            """);

        Diagnostic d = Assert.Single(build.Diagnostics);
        Assert.Equal("OTG1007", d.Id);
        Assert.Equal(11, d.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Contains("This call to 'IFactory.Create' is not traced: it calls a static abstract interface member through a type parameter", d.GetMessage());
        Assert.Contains("call it through its type (Widget.Create())", d.GetMessage());
        Assert.Matches(@"Intercepts: Input\.cs\(12,\d+\): Widget\.Create\(\)", build.Generated);
    }

    [Fact]
    public void Traced_on_members_that_are_not_called_by_name_is_reported()
    {
        var build = Build("""
            public class Cart
            {
                public decimal Total { [Traced] get => 1; }
                public int Count { get; [Effect("cart.set")] set; }
                [Traced] public static Cart operator +(Cart cart, int item) => cart;
                [Traced] public static implicit operator int(Cart cart) => 0;
                [Traced] ~Cart() { }
                [method: Traced] public event EventHandler? Changed;
                public event EventHandler? Removed { [Traced] add { } remove { } }
                public Func<int, int> Make() => [Traced] (int x) => x + 1;
            }
            """);

        var found = build.Diagnostics.Select(d => d.GetMessage()).ToList();
        Assert.Equal(Enumerable.Repeat("OTG1009", 9), build.Diagnostics.Select(d => d.Id));
        Assert.Equal("[Traced] and [Effect] have no effect on the property accessor 'Cart.Total.get': it runs where the property is read or written, so there is no call by name to intercept. Move the work into a method and trace that method.", found[0]);
        Assert.Contains("the property accessor 'Cart.Count.set'", found[1]);
        Assert.Contains("the operator 'Cart.op_Addition'", found[2]);
        Assert.Contains("the conversion 'Cart.op_Implicit'", found[3]);
        Assert.Contains("the finalizer of 'Cart'", found[4]);
        Assert.Contains("the event accessor 'Cart.Changed.add'", found[5]);
        Assert.Contains("the event accessor 'Cart.Changed.remove'", found[6]);
        Assert.Contains("the event accessor 'Cart.Removed.add'", found[7]);
        Assert.Equal("[Traced] and [Effect] have no effect on a lambda: it runs through a delegate, so there is no call by name to intercept. Trace a method the lambda calls, or move its body into a method and trace that.", found[8]);
        Assert.Equal("Traced", build.Diagnostics[0].Location.SourceTree!.GetText().ToString(build.Diagnostics[0].Location.SourceSpan));
    }

    [Fact]
    public void Tag_on_a_parameter_of_a_method_that_is_not_traced_is_reported()
    {
        var build = Build("""
            public interface IStore { [Traced] string Load(int id); }
            public class MemoryStore : IStore
            {
                public string Load([Tag("shop.item.id")] int id) => "";
                public void Plain([Tag("shop.x")] int x) { }
                public MemoryStore([Tag("shop.size")] int size = 0) { }
                public Func<int, int> Make() => ([Tag("shop.y")] int y) => y;
            }
            """);

        Assert.Equal(Enumerable.Repeat("OTG1010", 4), build.Diagnostics.Select(d => d.Id));
        Assert.Equal("Parameter 'id' is tagged, but 'MemoryStore.Load' is not traced, so nothing records it. Calls through 'IStore.Load' record the tags of its own parameters: put [Tag] there.", build.Diagnostics[0].GetMessage());
        Assert.Equal("Parameter 'x' is tagged, but 'MemoryStore.Plain' is not traced, so nothing records it. Trace 'MemoryStore.Plain' ([Traced] or [Effect]), or remove [Tag].", build.Diagnostics[1].GetMessage());
        Assert.Equal("Tag(\"shop.item.id\")", build.Diagnostics[0].Location.SourceTree!.GetText().ToString(build.Diagnostics[0].Location.SourceSpan));
    }

    [Fact]
    public void Tag_on_a_parameter_of_a_traced_method_is_not_reported()
    {
        var build = Build("""
            public interface IStore { [Traced] string Load([Tag("shop.item.id")] int id); }
            [Traced] public class Service { public void Run([Tag("shop.n")] int n) { } }
            public abstract class Animal { [Traced] public abstract int Legs([Tag("shop.kind")] int kind); }
            public class Dog : Animal { public override int Legs([Tag("shop.kind")] int kind) => 4; }
            public class Quiet { [NoTrace] public void Off([Tag("shop.off")] int off) { } }
            """);
        Assert.Empty(build.Diagnostics);
    }

    [Fact]
    public void An_async_void_or_iterator_implementation_of_a_traced_method_is_reported()
    {
        var build = Build("""
            public abstract class Job { [Traced] public abstract void Run(); }
            public sealed class Import : Job { public override async void Run() => await Task.Delay(1); }
            public interface ISource { [Traced] IEnumerable<int> Items(); }
            public sealed class Numbers : ISource { public IEnumerable<int> Items() { yield return 1; } }
            public sealed class Listed : ISource { public IEnumerable<int> Items() => new List<int> { 1 }; }
            """);

        Assert.Equal(new[] { "OTG1011", "OTG1011" }, build.Diagnostics.Select(d => d.Id));
        Assert.Equal("'Import.Run' overrides the traced 'Job.Run' but is async void: the span of a call through 'Job.Run' ends when the call returns, before this work ends. Return Task from both, so that the span ends when the work does.", build.Diagnostics[0].GetMessage());
        Assert.Equal("'Numbers.Items' implements the traced 'ISource.Items' but is an iterator (it uses yield): the span of a call through 'ISource.Items' ends when the call returns, before this work ends. Trace the method that enumerates the result, or return a materialized collection.", build.Diagnostics[1].GetMessage());
    }
}
