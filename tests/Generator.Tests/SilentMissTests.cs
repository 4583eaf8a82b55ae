using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Every call of an instrumented method gets a span or a diagnostic, and no call changes behaviour: the cases that
/// used to run without either (issue 27, items 2 and 9). The diagnostics are checked through the testing SDK
/// (<see cref="InterceptionTest"/>, markup and whole messages); programs are compiled with the generator, loaded and run.
/// </summary>
public class SilentMissTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using OtelGen;

        namespace MyApp;

        """;

    private static readonly InputFile Input = new(Usings);

    private static Task Verify(string body, params DiagnosticResult[] expected) => Input.Verify(body, expected);

    private static Harness.Run Generate(string body) => Input.Generate(body);

    private static DiagnosticResult Diagnostic(string id, int location, string message) => InterceptionTest.Diagnostic(id, location, message);

    private static DiagnosticResult Diagnostic(string id, int location) => InterceptionTest.Diagnostic(id).WithLocation(location);

    private static object? Call(Assembly assembly, string type, string method, params object?[] arguments) =>
        assembly.GetType("MyApp." + type)!.GetMethod(method)!.Invoke(null, arguments);

    private static bool Recorded(string spanName) => OtelGen.Tracing.Ring.Snapshot().Any(s => s.Name == spanName);

    private const string Counters = """
        public interface ICounter { [Traced("counter.inc")] void Inc(); }
        public struct Counter : ICounter { public int Value; public void Inc() => Value++; }
        public sealed class Box : ICounter { public int Value; public void Inc() => Value++; }

        """;

    private const string MayBeAStruct =
        "the receiver is of type parameter 'T', which may be a struct, and an interceptor can only take it as 'ICounter': it would call a boxed copy and a change the method makes to the struct would be lost; "
        + "constrain 'T' to class, or trace a method that takes the struct by ref (for example the generic method that makes this call)";

    [Fact]
    public async Task A_struct_mutated_through_a_constrained_generic_call_keeps_the_mutation_and_the_call_is_reported()
    {
        const string source = Counters + """
            public static class Program
            {
                static void Bump<T>(ref T counter) where T : ICounter => counter.{|#0:Inc|}();
                public static int Run() { var c = new Counter(); Bump(ref c); return c.Value; }
            }
            """;
        await Verify(source, Diagnostic("OTG1007", 0, "This call to 'ICounter.Inc' is not traced: " + MayBeAStruct));

        Harness.Run build = Generate(source);
        Assert.Equal(1, Call(build.Load(), "Program", "Run"));
        Assert.Null(build.Generated);
    }

    [Fact]
    public async Task A_generic_receiver_known_to_be_a_reference_or_a_nullable_struct_is_decided_the_same_way()
    {
        const string source = Counters + """
            public static class Program
            {
                static void Hit<T>(T counter) where T : class, ICounter => counter.Inc();
                static void Maybe<T>(T? counter) where T : struct, ICounter => counter?.{|#0:Inc|}();
                public static int Run() { var b = new Box(); Hit(b); Maybe<Counter>(new Counter()); return b.Value; }
            }
            """;
        await Verify(source, Diagnostic("OTG1007", 0, "This call to 'ICounter.Inc' is not traced: " + MayBeAStruct));

        Harness.Run build = Generate(source);
        Assert.Equal(1, Call(build.Load(), "Program", "Run"));
        Assert.Matches(@"Intercepts: Input\.cs\(12,\d+\): counter\.Inc\(\)", build.Generated);
    }

    [Fact]
    public async Task An_override_called_through_its_own_type_is_traced_by_the_attribute_on_the_base()
    {
        const string source = """
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
            """;
        await Verify(source);

        Harness.Run build = Generate(source);
        Assert.Matches(@"Intercepts: Input\.cs\(19,\d+\): dog\.Legs\(\)", build.Generated);
        Assert.Matches(@"Intercepts: Input\.cs\(19,\d+\): dog\.Sound\(\)", build.Generated);
        Assert.Contains("SilentMissDog_Legs(this global::MyApp.SilentMissDog @this)", build.Generated);
        Assert.Contains("Animal_Legs(this global::MyApp.Animal @this)", build.Generated);

        Assert.Equal("4woof4", Call(build.Load(), "Program", "Run"));
        Assert.True(Recorded("SilentMissDog.Legs"), "no span for dog.Legs()");
        Assert.True(Recorded("animal.sound"), "no span for dog.Sound()");
    }

    [Fact]
    public async Task An_override_with_NoTrace_stays_untraced()
    {
        const string source = """
            public abstract class Animal { [Traced] public abstract int Legs(); }
            public class Dog : Animal { [NoTrace] public override int Legs() => 4; }
            public static class Program { public static int Run(Dog dog) => dog.Legs(); }
            """;
        await Verify(source);
        Assert.Null(Generate(source).Generated);
    }

    [Fact]
    public async Task A_call_with_a_dynamic_argument_gets_no_interceptor_and_is_reported()
    {
        const string source = """
            public static class Work { [Traced] public static int Twice(int x) => 2 * x; }
            public static class Program { public static int Run(dynamic value) => Work.{|#0:Twice|}(value); }
            """;
        await Verify(source, Diagnostic("OTG1007", 0,
            "This call to 'Work.Twice' is not traced: an argument is dynamic, so the call is bound at run time and no interceptor can replace it; cast the dynamic arguments to the parameter types to make it an ordinary call"));
        Assert.Null(Generate(source).Generated);
    }

    [Fact]
    public async Task A_static_abstract_call_through_a_type_parameter_with_a_traced_implementation_is_reported()
    {
        // The call through T (line 11) is reported; the call through the type (line 12) is intercepted.
        const string source = """
            public interface IFactory<TSelf> where TSelf : IFactory<TSelf> { static abstract TSelf Create(); }
            public sealed class Widget : IFactory<Widget> { [Traced] public static Widget Create() => new(); }
            public static class Program
            {
                public static T Make<T>() where T : IFactory<T> => T.{|#0:Create|}();
                public static Widget Direct() => Widget.Create();
            }
            """;
        await Verify(source, Diagnostic("OTG1007", 0,
            "This call to 'IFactory.Create' is not traced: it calls a static abstract interface member through a type parameter, which no interceptor can dispatch, so the traced implementation 'Widget.Create' gets no span here; "
            + "call it through its type (Widget.Create()), or trace the method that makes this call"));
        Assert.Matches(@"Intercepts: Input\.cs\(12,\d+\): Widget\.Create\(\)", Generate(source).Generated);
    }

    private static DiagnosticResult NotCalledByName(int location, string member, string why, string advice) =>
        Diagnostic("OTG1009", location, "[Traced] and [Effect] have no effect on " + member + ": " + why + ", so there is no call by name to intercept. " + advice + ".");

    [Fact]
    public Task Traced_on_members_that_are_not_called_by_name_is_reported()
    {
        const string moveIt = "Move the work into a method and trace that method";
        return Verify("""
            public class Cart
            {
                public decimal Total { [{|#0:Traced|}] get => 1; }
                public int Count { get; [{|#1:Effect("cart.set")|}] set; }
                [{|#2:Traced|}] public static Cart operator +(Cart cart, int item) => cart;
                [{|#3:Traced|}] public static implicit operator int(Cart cart) => 0;
                [{|#4:Traced|}] ~Cart() { }
                [method: {|#5:Traced|}] public event EventHandler? Changed;
                public event EventHandler? Removed { [{|#6:Traced|}] add { } remove { } }
                public Func<int, int> Make() => [{|#7:Traced|}] (int x) => x + 1;
            }
            """,
            NotCalledByName(0, "the property accessor 'Cart.Total.get'", "it runs where the property is read or written", moveIt),
            NotCalledByName(1, "the property accessor 'Cart.Count.set'", "it runs where the property is read or written", moveIt),
            NotCalledByName(2, "the operator 'Cart.op_Addition'", "it runs where the operator is written", "Trace a method the operator calls"),
            NotCalledByName(3, "the conversion 'Cart.op_Implicit'", "it runs where the value is converted", "Trace a method the conversion calls"),
            NotCalledByName(4, "the finalizer of 'Cart'", "the garbage collector runs it", "Trace Dispose, or the method that releases the resource"),
            NotCalledByName(5, "the event accessor 'Cart.Changed.add'", "it runs where a handler is added or removed", moveIt),
            NotCalledByName(5, "the event accessor 'Cart.Changed.remove'", "it runs where a handler is added or removed", moveIt),
            NotCalledByName(6, "the event accessor 'Cart.Removed.add'", "it runs where a handler is added or removed", moveIt),
            Diagnostic("OTG1009", 7, "[Traced] and [Effect] have no effect on a lambda: it runs through a delegate, so there is no call by name to intercept. Trace a method the lambda calls, or move its body into a method and trace that."));
    }

    [Fact]
    public Task Tag_on_a_parameter_of_a_method_that_is_not_traced_is_reported() =>
        Verify("""
            public interface IStore { [Traced] string Load(int id); }
            public class MemoryStore : IStore
            {
                public string Load([{|#0:Tag("shop.item.id")|}] int id) => "";
                public void Plain([{|#1:Tag("shop.x")|}] int x) { }
                public MemoryStore([{|#2:Tag("shop.size")|}] int size = 0) { }
                public Func<int, int> Make() => ([{|#3:Tag("shop.y")|}] int y) => y;
            }
            """,
            Diagnostic("OTG1010", 0, "Parameter 'id' is tagged, but 'MemoryStore.Load' is not traced, so nothing records it. Calls through 'IStore.Load' record the tags of its own parameters: put [Tag] there."),
            Diagnostic("OTG1010", 1, "Parameter 'x' is tagged, but 'MemoryStore.Plain' is not traced, so nothing records it. Trace 'MemoryStore.Plain' ([Traced] or [Effect]), or remove [Tag]."),
            Diagnostic("OTG1010", 2),
            Diagnostic("OTG1010", 3));

    [Fact]
    public Task Tag_on_a_parameter_of_a_traced_method_is_not_reported() =>
        Verify("""
            public interface IStore { [Traced] string Load([Tag("shop.item.id")] int id); }
            [Traced] public class Service { public void Run([Tag("shop.n")] int n) { } }
            public abstract class Animal { [Traced] public abstract int Legs([Tag("shop.kind")] int kind); }
            public class Dog : Animal { public override int Legs([Tag("shop.kind")] int kind) => 4; }
            public class Quiet { [NoTrace] public void Off([Tag("shop.off")] int off) { } }
            """);

    [Fact]
    public Task An_async_void_or_iterator_implementation_of_a_traced_method_is_reported() =>
        Verify("""
            public abstract class Job { [Traced] public abstract void Run(); }
            public sealed class Import : Job { public override async void {|#0:Run|}() => await Task.Delay(1); }
            public interface ISource { [Traced] IEnumerable<int> Items(); }
            public sealed class Numbers : ISource { public IEnumerable<int> {|#1:Items|}() { yield return 1; } }
            public sealed class Listed : ISource { public IEnumerable<int> Items() => new List<int> { 1 }; }
            """,
            Diagnostic("OTG1011", 0, "'Import.Run' overrides the traced 'Job.Run' but is async void: the span of a call through 'Job.Run' ends when the call returns, before this work ends. Return Task from both, so that the span ends when the work does."),
            Diagnostic("OTG1011", 1, "'Numbers.Items' implements the traced 'ISource.Items' but is an iterator (it uses yield): the span of a call through 'ISource.Items' ends when the call returns, before this work ends. Trace the method that enumerates the result, or return a materialized collection."));
}
