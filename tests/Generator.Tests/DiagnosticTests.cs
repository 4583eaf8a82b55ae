using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>Each OTG1xxx diagnostic: a source that raises it and a close one that does not (generator and analyzers run as a build runs them).</summary>
public class DiagnosticTests
{
    private static Build.Result Generate(string body) => Build.Run(("Input.cs", """
        using System;
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading.Tasks;
        using OtelGen;

        namespace MyApp;

        """ + body));

    private static Diagnostic Single(Build.Result run, string id)
    {
        var found = run.Diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(found.Count == 1, $"expected one {id}, got:\n{Harness.Describe(run.Diagnostics)}");
        return found[0];
    }

    private static void None(Build.Result run, string id) =>
        Assert.True(run.Diagnostics.All(d => d.Id != id), Harness.Describe(run.Diagnostics));

    [Fact]
    public void OTG1001_async_void_is_an_error_that_says_return_Task()
    {
        var d = Single(Generate("public class C { [Traced] public async void Fire() => await Task.Yield(); }"), "OTG1001");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("Return Task instead", d.GetMessage());
        Assert.Equal("Input.cs", d.Location.GetLineSpan().Path);
        Assert.Equal("Fire".Length, d.Location.SourceSpan.Length);
    }

    [Fact]
    public void OTG1001_not_reported_for_async_Task()
    {
        var run = Generate("public class C { [Traced] public async Task Fire() => await Task.Yield(); void Use() => Fire(); }");
        None(run, "OTG1001");
        Assert.Contains("C_Fire", run.Generated);
    }

    [Fact]
    public void OTG1002_iterators_and_async_streams_are_errors()
    {
        var run = Generate("""
            public class C
            {
                [Traced] public IEnumerable<int> Items() { yield return 1; }
                [Traced] public async IAsyncEnumerable<int> Stream() { await Task.Yield(); yield return 1; }
                void Use() { Items(); Stream(); }
            }
            """);
        Assert.Equal(2, run.Diagnostics.Count(d => d.Id == "OTG1002"));
        Assert.Contains(run.Diagnostics, d => d.GetMessage().Contains("Trace the method that enumerates it"));
        Assert.Null(run.Generated);
    }

    [Fact]
    public void OTG1002_not_reported_for_a_method_returning_a_collection()
    {
        var run = Generate("public class C { [Traced] public IEnumerable<int> Items() => new List<int> { 1 }; void Use() => Items(); }");
        None(run, "OTG1002");
        Assert.Contains("C_Items", run.Generated);
    }

    [Fact]
    public void OTG1003_ref_returns_and_other_awaitables_are_errors()
    {
        var run = Generate("""
            public class C
            {
                private int _value;
                [Traced] public ref int Ref() => ref _value;
                [Traced] public YieldAwaitable Later() => Task.Yield();
            }
            """);
        var found = run.Diagnostics.Where(d => d.Id == "OTG1003").Select(d => d.GetMessage()).ToList();
        Assert.Equal(2, found.Count);
        Assert.Contains(found, m => m.Contains("returns by reference"));
        Assert.Contains(found, m => m.Contains("Return Task, Task<T>, ValueTask or ValueTask<T>."));
    }

    [Fact]
    public void OTG1003_static_abstract_interface_members_are_errors()
    {
        var run = Generate("""
            public interface IFactory<TSelf> where TSelf : IFactory<TSelf>
            {
                [Traced] static abstract TSelf Create();
            }
            public static class Use { public static T Make<T>() where T : IFactory<T> => T.Create(); }
            """);
        Assert.Contains("static abstract", Single(run, "OTG1003").GetMessage());
        Assert.Null(run.Generated);
        Assert.DoesNotContain(run.CompileProblems, d => d.Severity == DiagnosticSeverity.Error && d.Id != "OTG1003");
    }

    [Fact]
    public void OTG1003_static_abstract_advice_says_what_happens_to_calls_through_T()
    {
        var run = Generate("""
            public interface IFactory<TSelf> where TSelf : IFactory<TSelf> { [Traced] static abstract TSelf Create(); }
            """);
        string message = Single(run, "OTG1003").GetMessage();
        Assert.Contains("Trace the generic method that makes the call, or trace the implementations and call them through their type", message);
        Assert.DoesNotContain("Trace the implementations instead", message);
    }

    [Fact]
    public void OTG1003_an_extension_block_member_is_named_by_its_class()
    {
        var run = Generate("""
            public static class TextExtensions
            {
                extension(string text)
                {
                    [Traced] public string Twice() => text + text;
                }
            }
            """);
        Assert.StartsWith("'TextExtensions.Twice' cannot be traced: it is declared in an extension block.", Single(run, "OTG1003").GetMessage());
    }

    [Fact]
    public void OTG1003_not_reported_for_ValueTask()
    {
        None(Generate("public class C { [Traced] public ValueTask Later() => default; }"), "OTG1003");
    }

    [Fact]
    public void OTG1004_private_methods_the_accessor_cannot_reach_are_errors_with_what_to_do_for_each()
    {
        var run = Generate("""
            public class C
            {
                [Traced] private T Generic<T>(T value) => value;
                [Traced] protected virtual void Family() { }
                private class Nested { [Traced] public void Inner() { } }
                void Use()
                {
                    Generic(1); Family(); new Nested().Inner();
                    [Traced] static void Local() { }
                    Local();
                }
            }
            """);
        var found = run.Diagnostics.Where(d => d.Id == "OTG1004").Select(d => d.GetMessage()).ToList();
        Assert.Equal(4, found.Count);
        Assert.EndsWith("Make it internal (or public).", found[0]);
        Assert.EndsWith("Make it internal (or public).", found[1]);
        Assert.EndsWith("Make the type internal (or public).", found[2]);
        Assert.Contains("it is a local function", found[3]);
        Assert.EndsWith("Make it a method of the type (a private method is called through [UnsafeAccessor]).", found[3]);
        Assert.Null(run.Generated);
    }

    [Fact]
    public void OTG1004_an_explicit_interface_implementation_says_to_trace_the_interface_method()
    {
        var run = Generate("""
            public interface IStore { string Load(int id); }
            public class Store : IStore { [Traced] string IStore.Load(int id) => ""; }
            """);
        string message = Single(run, "OTG1004").GetMessage();
        Assert.Equal("'Store.Load' cannot be traced because it is an explicit interface implementation, which callers reach only through 'IStore.Load': generated interceptors live in another class and can only call internal or public methods of non-private types, by name. Put the attribute on 'IStore.Load' to trace the calls through the interface.", message);
        Assert.DoesNotContain("internal (or public)", message);
    }

    [Fact]
    public void OTG1004_not_reported_for_private_methods_reached_through_UnsafeAccessor()
    {
        var run = Generate("public class C { [Traced] private int Hidden() => 1; [Traced] protected static int Family() => 2; int Use() => Hidden() + Family(); }");
        None(run, "OTG1004");
        Assert.Contains("UnsafeAccessorKind.Method, Name = \"Hidden\"", run.Generated);
        Assert.Contains("UnsafeAccessorKind.StaticMethod, Name = \"Family\"", run.Generated);
        Assert.Empty(run.CompileProblems);
    }

    [Fact]
    public void OTG1004_not_reported_for_internal_methods()
    {
        var run = Generate("public class C { [Traced] internal void Hidden() { } void Use() => Hidden(); }");
        None(run, "OTG1004");
        Assert.Contains("C_Hidden", run.Generated);
    }

    [Fact]
    public void OTG1005_tagging_an_object_or_span_without_UseToString_is_an_error()
    {
        var run = Generate("""
            public class C
            {
                [Traced] public void M([Tag("app.thing")] object thing, [Tag("app.text")] ReadOnlySpan<char> text) { }
            }
            """);
        var found = run.Diagnostics.Where(d => d.Id == "OTG1005").Select(d => d.GetMessage()).ToList();
        Assert.Equal(2, found.Count);
        Assert.All(found, m => Assert.Contains("UseToString = true", m));
        Assert.Contains(found, m => m.Contains("ref struct"));
    }

    [Fact]
    public void OTG1005_not_reported_with_UseToString_or_for_primitives()
    {
        var run = Generate("""
            public class C
            {
                [Traced] public void M([Tag("app.thing", UseToString = true)] object thing, [Tag("app.n")] int n, [Tag("app.s")] string s) { }
                void Use() => M(1, 2, "");
            }
            """);
        None(run, "OTG1005");
        Assert.Empty(run.CompileProblems);
    }

    [Fact]
    public void OTG1005_not_reported_for_char_which_is_recorded_as_a_one_character_string()
    {
        var run = Generate("""
            public class C
            {
                [Traced] public void M([Tag("shop.grade")] char grade, [Tag("shop.mark")] char? mark) { }
                void Use() => M('A', null);
            }
            """);
        None(run, "OTG1005");
        Assert.Contains("AttributeValue.Of(grade)", run.Generated);
        Assert.Empty(run.CompileProblems);
    }

    [Fact]
    public void OTG1006_ReturnTag_on_void_or_an_object_is_an_error()
    {
        var run = Generate("""
            public class C
            {
                [Traced(ReturnTag = "app.r")] public void Nothing() { }
                [Effect("db.get", ReturnTag = "app.r")] public Task Later() => Task.CompletedTask;
                [Traced(ReturnTag = "app.r")] public object Thing() => new object();
            }
            """);
        var found = run.Diagnostics.Where(d => d.Id == "OTG1006").Select(d => d.GetMessage()).ToList();
        Assert.Equal(3, found.Count);
        Assert.Equal(2, found.Count(m => m.Contains("Remove ReturnTag.")));
    }

    [Fact]
    public void OTG1006_not_reported_for_a_number_or_a_task_of_string()
    {
        var run = Generate("""
            public class C
            {
                [Traced(ReturnTag = "app.r")] public int Number() => 1;
                [Traced(ReturnTag = "app.r")] public Task<string> Text() => Task.FromResult("");
            }
            """);
        None(run, "OTG1006");
    }

    [Fact]
    public void OTG1007_a_base_call_is_not_intercepted_and_says_so()
    {
        var run = Generate("""
            public class B { [Traced] public virtual int M() => 1; }
            public class D : B { public override int M() => base.M() + 1; }
            """);
        var d = Single(run, "OTG1007");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("base.", d.GetMessage());
        Assert.Null(run.Generated);
    }

    [Fact]
    public void OTG1007_not_reported_for_a_virtual_call()
    {
        var run = Generate("""
            public class B { [Traced] public virtual int M() => 1; }
            public class D : B { public int Twice() => this.M() * 2; }
            """);
        None(run, "OTG1007");
        Assert.Contains("B_M", run.Generated);
    }

    private const string OneTracedCall = "namespace MyApp; public class C { [OtelGen.Traced] public int M() => 1; public int Use() => M(); }";

    [Fact]
    public void OTG1008_without_the_interceptors_namespace_nothing_is_generated_and_the_warning_says_what_to_add()
    {
        var options = Microsoft.CodeAnalysis.CSharp.CSharpParseOptions.Default.WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Preview);
        var compilation = Harness.Compile(("Input.cs", OneTracedCall));
        var driver = Harness.Driver(options).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var diagnostics);
        var d = Assert.Single(diagnostics, d => d.Id == "OTG1008");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("<InterceptorsNamespaces>$(InterceptorsNamespaces);OtelGen.Generated</InterceptorsNamespaces>", d.GetMessage());
        Assert.Empty(driver.GetRunResult().GeneratedTrees);
        Assert.DoesNotContain(output.GetDiagnostics(), x => x.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void OTG1008_not_reported_when_the_namespace_is_enabled()
    {
        var run = Build.Run(("Input.cs", OneTracedCall));
        None(run, "OTG1008");
        Assert.NotNull(run.Generated);
    }

    [Fact]
    public void Wide_rules_skip_unsupported_shapes_without_an_error()
    {
        var run = Generate("""
            [Traced]
            public class C
            {
                public async void Fire() => await Task.Yield();
                public IEnumerable<int> Items() { yield return 1; }
                public int Fine() => 1;
                void Use() { Fire(); Items(); Fine(); }
            }
            """);
        Assert.Empty(run.Diagnostics);
        Assert.Contains("C_Fine", run.Generated);
        Assert.DoesNotContain("C_Fire", run.Generated);
        Assert.DoesNotContain("C_Items", run.Generated);
    }

    [Fact]
    public void NoTrace_silences_an_explicit_attribute_and_its_diagnostics()
    {
        var run = Generate("public class C { [Traced, NoTrace] public async void Fire() => await Task.Yield(); void Use() => Fire(); }");
        Assert.Empty(run.Diagnostics);
        Assert.Null(run.Generated);
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
