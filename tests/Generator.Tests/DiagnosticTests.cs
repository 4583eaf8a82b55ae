using System.IO;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Each OTG1xxx diagnostic: a source that raises it and a close one that does not. The diagnostics come from
/// InterceptionAnalyzer, checked through the testing SDK (<see cref="InterceptionTest"/>: markup marks each one, every
/// OtelGen analyzer runs, and any diagnostic not expected fails); where the generated code matters too, the generator
/// runs over the same source (Harness.Generate). OTG1008, the generator's own, goes through the SDK's generator test.
/// The "app." keys are also reported by the semantic-conventions analyzer (OTG2008: 'app' is a semantic-conventions
/// namespace), as a build reports them.
/// </summary>
public class DiagnosticTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading.Tasks;
        using OtelGen;

        namespace MyApp;

        """;

    private static readonly InputFile Input = new(Usings);

    private static Task Verify(string body, params DiagnosticResult[] expected) => Input.Verify(body, expected);

    private static Harness.Run Generate(string body) => Input.Generate(body);

    private static DiagnosticResult Diagnostic(string id, int location, string message) => InterceptionTest.Diagnostic(id, location, message);

    private const string Unreachable =
        ": generated interceptors live in another class and can only call internal or public methods of non-private types, by name. ";

    private const string NoAccessor =
        " and [UnsafeAccessor] cannot reach it (generic, virtual, in a generic type, using private types, a target before .NET 8, or in a static class before .NET 10)";

    [Fact]
    public Task OTG1001_async_void_is_an_error_that_says_return_Task() =>
        // The location is Input.cs, the method's name (severity: the descriptor's, Error).
        Verify("public class C { [Traced] public async void {|#0:Fire|}() => await Task.Yield(); }",
            Diagnostic("OTG1001", 0, "'C.Fire' is async void: its span could not end when its work ends. Return Task instead, or remove the attribute.")
                .WithSeverity(DiagnosticSeverity.Error));

    [Fact]
    public async Task OTG1001_not_reported_for_async_Task()
    {
        const string source = "public class C { [Traced] public async Task Fire() => await Task.Yield(); void Use() => Fire(); }";
        await Verify(source);
        Assert.Contains("C_Fire", Generate(source).Generated);
    }

    [Fact]
    public async Task OTG1002_iterators_and_async_streams_are_errors()
    {
        const string source = """
            public class C
            {
                [Traced] public IEnumerable<int> {|#0:Items|}() { yield return 1; }
                [Traced] public async IAsyncEnumerable<int> {|#1:Stream|}() { await Task.Yield(); yield return 1; }
                void Use() { Items(); Stream(); }
            }
            """;
        const string after = ": its work runs while the caller enumerates, after the call has returned, so a span around the call would measure nothing. Trace the method that enumerates it, or return a materialized collection.";
        await Verify(source,
            Diagnostic("OTG1002", 0, "'C.Items' returns an iterator (it uses yield)" + after),
            Diagnostic("OTG1002", 1, "'C.Stream' returns an async stream (System.Collections.Generic.IAsyncEnumerable<int>)" + after));
        Assert.Null(Generate(source).Generated);
    }

    [Fact]
    public async Task OTG1002_not_reported_for_a_method_returning_a_collection()
    {
        const string source = "public class C { [Traced] public IEnumerable<int> Items() => new List<int> { 1 }; void Use() => Items(); }";
        await Verify(source);
        Assert.Contains("C_Items", Generate(source).Generated);
    }

    [Fact]
    public Task OTG1003_ref_returns_and_other_awaitables_are_errors() =>
        Verify("""
            public class C
            {
                private int _value;
                [Traced] public ref int {|#0:Ref|}() => ref _value;
                [Traced] public YieldAwaitable {|#1:Later|}() => Task.Yield();
            }
            """,
            Diagnostic("OTG1003", 0, "'C.Ref' cannot be traced: it returns by reference. Return the value instead, or trace the method that uses the reference."),
            Diagnostic("OTG1003", 1, "'C.Later' cannot be traced: it returns the awaitable 'System.Runtime.CompilerServices.YieldAwaitable', whose completion the span cannot follow. Return Task, Task<T>, ValueTask or ValueTask<T>."));

    private const string StaticAbstract =
        "'IFactory.Create' cannot be traced: it is a static abstract or virtual interface member, called through a type parameter (T.Create()), which an interceptor cannot dispatch. "
        + "Trace the generic method that makes the call, or trace the implementations and call them through their type (calls through T stay untraced and are reported as OTG1007).";

    [Fact]
    public async Task OTG1003_static_abstract_interface_members_are_errors()
    {
        const string source = """
            public interface IFactory<TSelf> where TSelf : IFactory<TSelf>
            {
                [Traced] static abstract TSelf {|#0:Create|}();
            }
            public static class Use { public static T Make<T>() where T : IFactory<T> => T.Create(); }
            """;
        await Verify(source, Diagnostic("OTG1003", 0, StaticAbstract));
        Harness.Run run = Generate(source);
        Assert.Null(run.Generated);
        Assert.DoesNotContain(run.CompileProblems, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public Task OTG1003_static_abstract_advice_says_what_happens_to_calls_through_T() =>
        // Not "Trace the implementations instead": calls through T stay untraced.
        Verify("""
            public interface IFactory<TSelf> where TSelf : IFactory<TSelf> { [Traced] static abstract TSelf {|#0:Create|}(); }
            """,
            Diagnostic("OTG1003", 0, StaticAbstract));

    [Fact]
    public Task OTG1003_an_extension_block_member_is_named_by_its_class() =>
        Verify("""
            public static class TextExtensions
            {
                extension(string text)
                {
                    [Traced] public string {|#0:Twice|}() => text + text;
                }
            }
            """,
            Diagnostic("OTG1003", 0, "'TextExtensions.Twice' cannot be traced: it is declared in an extension block. Declare it as a classic extension method (static, with a this parameter)."));

    [Fact]
    public Task OTG1003_not_reported_for_ValueTask() =>
        Verify("public class C { [Traced] public ValueTask Later() => default; }");

    [Fact]
    public async Task OTG1004_private_methods_the_accessor_cannot_reach_are_errors_with_what_to_do_for_each()
    {
        const string source = """
            public class C
            {
                [Traced] private T {|#0:Generic|}<T>(T value) => value;
                [Traced] protected virtual void {|#1:Family|}() { }
                private class Nested { [Traced] public void {|#2:Inner|}() { } }
                void Use()
                {
                    Generic(1); Family(); new Nested().Inner();
                    [Traced] static void {|#3:Local|}() { }
                    Local();
                }
            }
            """;
        await Verify(source,
            Diagnostic("OTG1004", 0, "'C.Generic' cannot be traced because it is private" + NoAccessor + Unreachable + "Make it internal (or public)."),
            Diagnostic("OTG1004", 1, "'C.Family' cannot be traced because it is protected" + NoAccessor + Unreachable + "Make it internal (or public)."),
            Diagnostic("OTG1004", 2, "'Nested.Inner' cannot be traced because it is declared in the non-public nested type 'Nested'" + Unreachable + "Make the type internal (or public)."),
            Diagnostic("OTG1004", 3, "'C.Local' cannot be traced because it is a local function" + Unreachable + "Make it a method of the type (a private method is called through [UnsafeAccessor])."));
        Assert.Null(Generate(source).Generated);
    }

    [Fact]
    public Task OTG1004_an_explicit_interface_implementation_says_to_trace_the_interface_method() =>
        // Not "internal (or public)": the advice is the interface method's attribute.
        Verify("""
            public interface IStore { string Load(int id); }
            public class Store : IStore { [Traced] string IStore.{|#0:Load|}(int id) => ""; }
            """,
            Diagnostic("OTG1004", 0, "'Store.Load' cannot be traced because it is an explicit interface implementation, which callers reach only through 'IStore.Load': generated interceptors live in another class and can only call internal or public methods of non-private types, by name. Put the attribute on 'IStore.Load' to trace the calls through the interface."));

    [Fact]
    public async Task OTG1004_not_reported_for_private_methods_reached_through_UnsafeAccessor()
    {
        const string source = "public class C { [Traced] private int Hidden() => 1; [Traced] protected static int Family() => 2; int Use() => Hidden() + Family(); }";
        await Verify(source);
        Harness.Run run = Generate(source);
        Assert.Contains("UnsafeAccessorKind.Method, Name = \"Hidden\"", run.Generated);
        Assert.Contains("UnsafeAccessorKind.StaticMethod, Name = \"Family\"", run.Generated);
        Assert.Empty(run.CompileProblems);
    }

    [Fact]
    public async Task OTG1004_not_reported_for_internal_methods()
    {
        const string source = "public class C { [Traced] internal void Hidden() { } void Use() => Hidden(); }";
        await Verify(source);
        Assert.Contains("C_Hidden", Generate(source).Generated);
    }

    [Fact]
    public Task OTG1005_tagging_an_object_or_span_without_UseToString_is_an_error() =>
        Verify("""
            public class C
            {
                [Traced] public void M([Tag({|OTG2008:"app.thing"|})] object {|#0:thing|}, [Tag({|OTG2008:"app.text"|})] ReadOnlySpan<char> {|#1:text|}) { }
            }
            """,
            Diagnostic("OTG1005", 0, "Parameter 'thing' of type 'object' cannot be recorded as a span attribute: only strings, booleans, numbers, enums and one-dimensional arrays of them are recorded without calling ToString(). Set UseToString = true to record ToString(), or tag a primitive value instead."),
            Diagnostic("OTG1005", 1, "Parameter 'text' of type 'System.ReadOnlySpan<char>' cannot be recorded as a span attribute: a ref struct cannot be kept by the span. Set UseToString = true to record its ToString() (a ReadOnlySpan<char> gives its text), or tag a string or number instead."));

    [Fact]
    public async Task OTG1005_not_reported_with_UseToString_or_for_primitives()
    {
        const string source = """
            public class C
            {
                [Traced] public void M([Tag({|OTG2008:"app.thing"|}, UseToString = true)] object thing, [Tag({|OTG2008:"app.n"|})] int n, [Tag({|OTG2008:"app.s"|})] string s) { }
                void Use() => M(1, 2, "");
            }
            """;
        await Verify(source);
        Assert.Empty(Generate(source).CompileProblems);
    }

    [Fact]
    public async Task OTG1005_not_reported_for_char_which_is_recorded_as_a_one_character_string()
    {
        const string source = """
            public class C
            {
                [Traced] public void M([Tag("shop.grade")] char grade, [Tag("shop.mark")] char? mark) { }
                void Use() => M('A', null);
            }
            """;
        await Verify(source);
        Harness.Run run = Generate(source);
        Assert.Contains("AttributeValue.Of(grade)", run.Generated);
        Assert.Empty(run.CompileProblems);
    }

    [Fact]
    public Task OTG1006_ReturnTag_on_void_or_an_object_is_an_error() =>
        Verify("""
            public class C
            {
                [{|#0:Traced(ReturnTag = {|OTG2008:"app.r"|})|}] public void Nothing() { }
                [{|#1:Effect("db.get", ReturnTag = {|OTG2008:"app.r"|})|}] public Task Later() => Task.CompletedTask;
                [{|#2:Traced(ReturnTag = {|OTG2008:"app.r"|})|}] public object Thing() => new object();
            }
            """,
            Diagnostic("OTG1006", 0, "ReturnTag on 'C.Nothing' cannot record its return value: it returns no value. Remove ReturnTag."),
            Diagnostic("OTG1006", 1, "ReturnTag on 'C.Later' cannot record its return value: it returns no value. Remove ReturnTag."),
            Diagnostic("OTG1006", 2, "ReturnTag on 'C.Thing' cannot record its return value: its type 'object' is not a string, boolean, number, enum or array of them. Remove ReturnTag, or tag a value you compute from it."));

    [Fact]
    public Task OTG1006_not_reported_for_a_number_or_a_task_of_string() =>
        Verify("""
            public class C
            {
                [Traced(ReturnTag = {|OTG2008:"app.r"|})] public int Number() => 1;
                [Traced(ReturnTag = {|OTG2008:"app.r"|})] public Task<string> Text() => Task.FromResult("");
            }
            """);

    [Fact]
    public async Task OTG1007_a_base_call_is_not_intercepted_and_says_so()
    {
        const string source = """
            public class B { [Traced] public virtual int M() => 1; }
            public class D : B { public override int M() => base.{|#0:M|}() + 1; }
            """;
        await Verify(source,
            Diagnostic("OTG1007", 0, "This call to 'B.M' is not traced: a base. call runs one specific implementation and an interceptor could only make a virtual call; trace the base method's other call sites, or call a traced helper")
                .WithSeverity(DiagnosticSeverity.Warning));
        Assert.Null(Generate(source).Generated);
    }

    [Fact]
    public async Task OTG1007_not_reported_for_a_virtual_call()
    {
        const string source = """
            public class B { [Traced] public virtual int M() => 1; }
            public class D : B { public int Twice() => this.M() * 2; }
            """;
        await Verify(source);
        Assert.Contains("B_M", Generate(source).Generated);
    }

    private const string OneTracedCall = "namespace MyApp; public class C { [OtelGen.Traced] public int M() => 1; public int Use() => M(); }";

    private static GeneratorTest OneTracedCallTest(CSharpParseOptions parseOptions)
    {
        var test = new GeneratorTest { ParseOptions = parseOptions };
        test.TestState.Sources.Add(("Input.cs", SourceText.From(OneTracedCall, Encoding.UTF8)));
        return test;
    }

    [Fact]
    public async Task OTG1008_without_the_interceptors_namespace_nothing_is_generated_and_the_warning_says_what_to_add()
    {
        // No generated source is expected, and the result must compile without a warning or an error.
        GeneratorTest test = OneTracedCallTest(CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("OTG1008", DiagnosticSeverity.Warning).WithMessage(
            "1 call(s) of traced methods are not traced because interceptors are not enabled for the namespace OtelGen.Generated. Reference the OtelGen package (its build props set this), or add <InterceptorsNamespaces>$(InterceptorsNamespaces);OtelGen.Generated</InterceptorsNamespaces> to the project."));
        await test.RunAsync();
        Assert.Null(test.Generated);
    }

    [Fact]
    public async Task OTG1008_not_reported_when_the_namespace_is_enabled()
    {
        // No generator diagnostic at all is expected; the generated code is the snapshot tests' business.
        GeneratorTest test = OneTracedCallTest(Harness.ParseOptions);
        test.TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        await test.RunAsync();
        Assert.NotNull(test.Generated);
    }

    [Fact]
    public async Task Wide_rules_skip_unsupported_shapes_without_an_error()
    {
        const string source = """
            [Traced]
            public class C
            {
                public async void Fire() => await Task.Yield();
                public IEnumerable<int> Items() { yield return 1; }
                public int Fine() => 1;
                void Use() { Fire(); Items(); Fine(); }
            }
            """;
        await Verify(source);
        string? generated = Generate(source).Generated;
        Assert.Contains("C_Fine", generated);
        Assert.DoesNotContain("C_Fire", generated);
        Assert.DoesNotContain("C_Items", generated);
    }

    [Fact]
    public async Task NoTrace_silences_an_explicit_attribute_and_its_diagnostics()
    {
        const string source = "public class C { [Traced, NoTrace] public async void Fire() => await Task.Yield(); void Use() => Fire(); }";
        await Verify(source);
        Assert.Null(Generate(source).Generated);
    }

    [Fact]
    public void Every_diagnostic_has_a_title_category_and_a_help_page_that_exists()
    {
        string docs = Path.Combine(Harness.SourceDirectory(), "..", "..", "docs", "diagnostics");
        foreach (DiagnosticDescriptor descriptor in Diagnostics.All)
        {
            Assert.StartsWith("OTG1", descriptor.Id);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));
            Assert.Equal("OtelGen.Generator", descriptor.Category);
            Assert.Equal("https://github.com/otelgen/otelgen/blob/main/docs/diagnostics/" + descriptor.Id + ".md", descriptor.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(docs, descriptor.Id + ".md")), descriptor.Id + " has no docs/diagnostics page");
        }
    }
}
