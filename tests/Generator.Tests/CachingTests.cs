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
}
