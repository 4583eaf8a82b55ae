using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace OtelGen.Generator.Tests;

public class CachingTests
{
    private const string Calls = """
        using OtelGen;
        namespace MyApp;
        public class Work
        {
            [Traced] public int Step(int x) => x + 1;
        }
        public static class Program
        {
            public static int Run() => new Work().Step(1) + new Work().Step(2);
        }
        """;

    private const string Unrelated = """
        namespace MyApp;
        public class Helper
        {
            public int Compute(int x) => x * 2;
        }
        """;

    private static (Compilation, GeneratorDriver) First()
    {
        Compilation compilation = Harness.Compile(("Calls.cs", Calls), ("Helper.cs", Unrelated));
        GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
        return (compilation, driver);
    }

    private static Compilation Edit(Compilation compilation, string path, string from, string to)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        SyntaxTree edited = CSharpSyntaxTree.ParseText(old.ToString().Replace(from, to), Harness.ParseOptions, path, System.Text.Encoding.UTF8);
        return compilation.ReplaceSyntaxTree(old, edited);
    }

    [Fact]
    public void Editing_an_unrelated_method_body_leaves_every_step_and_output_cached()
    {
        (Compilation compilation, GeneratorDriver driver) = First();
        driver = driver.RunGenerators(Edit(compilation, "Helper.cs", "x * 2", "x * 3"));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        // One call-site step output per file: Calls.cs and Helper.cs.
        var callSites = result.TrackedSteps[TracingGenerator.Steps.CallSites].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, callSites.Count);
        Assert.All(callSites, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(result.TrackedSteps[TracingGenerator.Steps.Interceptors].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Editing_the_traced_method_changes_the_output()
    {
        (Compilation compilation, GeneratorDriver driver) = First();
        driver = driver.RunGenerators(Edit(compilation, "Calls.cs", "[Traced] public", "[Traced(\"renamed\")] public"));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[TracingGenerator.Steps.Interceptors].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("\"renamed\"", result.GeneratedSources.Single().SourceText.ToString());
    }

    // ---------------------------------------------------------------- which files are bound again

    private const string Services = """
        using System.Threading.Tasks;
        using OtelGen;
        namespace MyApp;
        public class Service
        {
            [Traced] public int Step(int x) => x + 1;
            [Traced] public int Work(int x) { return x * 2; }
        }
        public class Helper
        {
            public int Compute(int x) => x * 2;
            public int Pick(long x) => 1;
        }
        """;

    private const string CallerA = """
        namespace MyApp;
        public static class CallerA
        {
            public static int Run()
            {
                var s = new Service();
                int total = s.Step(1) + s.Work(2);
                return total + new Helper().Compute(3) + new Helper().Pick(4);
            }
        }
        """;

    private const string CallerB = """
        namespace MyApp;
        public static class CallerB
        {
            public static int Run() => new Service().Step(5);
        }
        """;

    private const string Quiet = """
        namespace MyApp;
        // a file without calls
        public static class Quiet
        {
            public static int Compute(int x)
            {
                return x + 1;
            }
        }
        """;

    private static (Compilation, GeneratorDriver) Project()
    {
        Compilation compilation = Harness.Compile(("Services.cs", Services), ("CallerA.cs", CallerA), ("CallerB.cs", CallerB), ("Quiet.cs", Quiet));
        return (compilation, Harness.Driver().RunGenerators(compilation));
    }

    /// <summary>The call-site step's reason per file, by the file's position in the compilation.</summary>
    private static IncrementalStepRunReason[] CallSiteReasons(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().TrackedSteps[TracingGenerator.Steps.CallSites].Select(s => s.Outputs.Single().Reason).ToArray();

    private static string? Generated(GeneratorDriver driver) =>
        driver.GetRunResult().GeneratedTrees.SingleOrDefault(t => t.FilePath.EndsWith(Emitter.HintName, System.StringComparison.Ordinal))?.ToString();

    /// <summary>What a fresh driver (a command-line build) makes of the same compilation: the incremental run must agree.</summary>
    private static void AssertSameAsFreshRun(GeneratorDriver driver, Compilation compilation)
    {
        GeneratorDriver fresh = Harness.Driver().RunGenerators(compilation);
        Assert.Equal(Generated(fresh), Generated(driver));
        Assert.Equal(
            fresh.GetRunResult().Diagnostics.Select(d => d.ToString()).OrderBy(d => d),
            driver.GetRunResult().Diagnostics.Select(d => d.ToString()).OrderBy(d => d));
    }

    private static void AssertOutputsCached(GeneratorDriver driver)
    {
        var outputs = driver.GetRunResult().Results.Single().TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Theory]
    [InlineData("return x + 1;", "return x + 2;")]
    [InlineData("// a file without calls", "// a comment that changed")]
    public void An_edit_in_a_file_without_calls_binds_no_other_file(string from, string to)
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Compilation edited = Edit(compilation, "Quiet.cs", from, to);
        driver = driver.RunGenerators(edited);

        // Cached means the step did not run at all for that file: nothing in Services, CallerA or CallerB was bound again.
        Assert.Equal(
            new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged },
            CallSiteReasons(driver));
        Assert.All(driver.GetRunResult().Results.Single().TrackedSteps[TracingGenerator.Steps.Interceptors].SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        AssertOutputsCached(driver);
    }

    [Fact]
    public void An_edit_in_a_body_with_calls_binds_only_that_file()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Compilation edited = Edit(compilation, "CallerA.cs", "var s = new Service();", "var s = new Service(); s.GetHashCode();");
        driver = driver.RunGenerators(edited);

        IncrementalStepRunReason[] reasons = CallSiteReasons(driver);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons[1]); // the interceptable locations moved with the text
        Assert.Equal(new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached }, new[] { reasons[0], reasons[2], reasons[3] });
        AssertSameAsFreshRun(driver, edited);
    }

    [Fact]
    public void A_new_call_site_is_intercepted_and_only_its_file_is_bound()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Compilation edited = Edit(compilation, "CallerB.cs", "new Service().Step(5);", "new Service().Step(5) + new Service().Work(6);");
        driver = driver.RunGenerators(edited);

        IncrementalStepRunReason[] reasons = CallSiteReasons(driver);
        Assert.Equal(new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached }, reasons);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(Generated(driver)!, "Intercepts: CallerB.cs").Count);
        AssertSameAsFreshRun(driver, edited);
    }

    [Fact]
    public void Editing_a_traced_signature_rebinds_the_calls_in_unchanged_files()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Compilation edited = Edit(compilation, "Services.cs", "public int Step(int x) => x + 1;", "public long Step(long x) => x + 1;");
        driver = driver.RunGenerators(edited);

        Assert.Contains("long x", Generated(driver));
        Assert.Contains(IncrementalStepRunReason.Modified, CallSiteReasons(driver));
        AssertSameAsFreshRun(driver, edited);
    }

    [Fact]
    public void A_new_attribute_in_another_file_intercepts_calls_in_an_unchanged_file()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Assert.DoesNotContain("Helper_Compute", Generated(driver));
        Compilation edited = Edit(compilation, "Services.cs", "public int Compute(int x)", "[Traced] public int Compute(int x)");
        driver = driver.RunGenerators(edited);

        Assert.Contains("Helper_Compute", Generated(driver));
        AssertSameAsFreshRun(driver, edited);
    }

    [Fact]
    public void A_better_overload_in_another_file_moves_the_interception_of_an_unchanged_file()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Compilation traced = Edit(compilation, "Services.cs", "public int Pick(long x)", "[Traced] public int Pick(long x)");
        driver = driver.RunGenerators(traced);
        Assert.Contains("Helper_Pick", Generated(driver));

        // Pick(4) in CallerA.cs now binds to the untraced int overload: its interceptor must go, or the build breaks.
        Compilation overloaded = Edit(traced, "Services.cs", "public int Pick(long x) => 1;", "public int Pick(long x) => 1;\n    public int Pick(int x) => 2;");
        driver = driver.RunGenerators(overloaded);
        Assert.DoesNotContain("Helper_Pick", Generated(driver));
        AssertSameAsFreshRun(driver, overloaded);
    }

    [Fact]
    public void A_fork_added_to_a_traced_body_reaches_the_interceptors_of_unchanged_files()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        string before = Generated(driver)!;
        // Work's span must now flow to the task it starts: a body-only edit that still changes the target model.
        Compilation edited = Edit(compilation, "Services.cs", "{ return x * 2; }", "{ Task.Run(() => { }); return x * 2; }");
        driver = driver.RunGenerators(edited);

        Assert.NotEqual(before, Generated(driver));
        AssertSameAsFreshRun(driver, edited);
    }

    [Fact]
    public void A_new_file_whose_names_no_file_refers_to_binds_no_other_file()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        Compilation added = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace MyApp;\npublic static class Added\n{\n    public static int Twice(int x) => x * 2;\n}\n", Harness.ParseOptions, "Added.cs", System.Text.Encoding.UTF8));
        driver = driver.RunGenerators(added);

        Assert.Equal(
            new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached, IncrementalStepRunReason.New },
            CallSiteReasons(driver));
        AssertOutputsCached(driver);
    }

    [Fact]
    public void A_new_declaration_with_a_name_a_file_refers_to_rebinds_that_file_only()
    {
        (Compilation compilation, GeneratorDriver driver) = Project();
        // CallerA refers to Compute; CallerB does not.
        Compilation edited = Edit(compilation, "Quiet.cs", "public static int Compute(int x)", "public static int Compute(int x, int y) => x + y;\n    public static int Compute(int x)");
        driver = driver.RunGenerators(edited);

        IncrementalStepRunReason[] reasons = CallSiteReasons(driver);
        Assert.Equal(IncrementalStepRunReason.Cached, reasons[2]);
        Assert.NotEqual(IncrementalStepRunReason.Cached, reasons[1]);
        AssertSameAsFreshRun(driver, edited);
    }

    [Fact]
    public void A_base_class_changed_in_a_file_the_caller_never_names_still_rebinds_the_caller()
    {
        Compilation compilation = Harness.Compile(
            ("Bases.cs", "using OtelGen;\nnamespace MyApp;\npublic class Base1 { [Traced] public int Op() => 1; }\npublic class Base2 { public int Op() => 2; }\n"),
            ("Holder.cs", "namespace MyApp;\npublic class Holder : Base1 { }\n"),
            ("Make.cs", "namespace MyApp;\npublic static class Make { public static Holder Get() => new Holder(); }\n"),
            ("Caller.cs", "namespace MyApp;\npublic static class Caller { public static int Run() { var h = Make.Get(); return h.Op(); } }\n"));
        GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
        Assert.Contains("Base1_Op", Generated(driver));

        // Caller.cs writes Make, Get and Op, never Holder: the base list is in the project-wide part of the key.
        Compilation edited = Edit(compilation, "Holder.cs", "Holder : Base1", "Holder : Base2");
        driver = driver.RunGenerators(edited);
        Assert.Null(Generated(driver));
        AssertSameAsFreshRun(driver, edited);
    }
}
