using System;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Sdk;

namespace OtelGen.Generator.Tests;

/// <summary>How <see cref="Baseline.VerifyAsync"/> reports: a baseline difference with a diff and the update hint, anything else as it is.</summary>
public class BaselineTests
{
    private const string Input = """
        using OtelGen;
        namespace MyApp;
        public class Work { [Traced] public int Step(int x) => x + 1; }
        public static class Program { public static int Run() => new Work().Step(1); }
        """;

    private static Func<string?, GeneratorTest> For(string input) => baseline =>
    {
        var test = new GeneratorTest();
        test.TestState.Sources.Add(("Input.cs", SourceText.From(input, Encoding.UTF8)));
        if (baseline is not null)
        {
            test.TestState.GeneratedSources.Add((typeof(TracingGenerator), Emitter.HintName, baseline));
        }
        return test;
    };

    private static string TempBaseline() => Path.Combine(Path.GetTempPath(), "otelgen-baseline-" + Guid.NewGuid().ToString("N") + ".g.cs");

    [Fact]
    public async Task A_baseline_mismatch_fails_with_a_line_diff_and_the_update_hint()
    {
        if (Environment.GetEnvironmentVariable(Baseline.UpdateVariable) == "1")
        {
            return; // in update mode a mismatch rewrites instead of diffing
        }
        GeneratorTest probe = For(Input)(null);
        probe.TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        await probe.RunAsync();
        string generated = probe.Generated!;
        Assert.Contains("\"Work.Step\"", generated);

        string path = TempBaseline();
        try
        {
            File.WriteAllText(path, generated.Replace("\n", "\r\n"));
            await Baseline.VerifyAsync(path, For(Input)); // line endings do not matter

            File.WriteAllText(path, generated.Replace("\"Work.Step\"", "\"Work.Stop\""));
            var failure = await Assert.ThrowsAsync<XunitException>(() => Baseline.VerifyAsync(path, For(Input)));
            Assert.Contains("Generated code differs from " + Path.GetFileName(path), failure.Message);
            Assert.Contains(Baseline.UpdateVariable + "=1", failure.Message);
            Assert.Contains("\"Work.Stop\"", failure.Message);
            Assert.Contains("\"Work.Step\"", failure.Message);

            File.Delete(path);
            var missing = await Assert.ThrowsAsync<XunitException>(() => Baseline.VerifyAsync(path, For(Input)));
            Assert.Contains("No baseline " + path, missing.Message);
            Assert.Contains("\"Work.Step\"", missing.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_warning_of_the_compiled_result_is_reported_as_it_is_and_rewrites_nothing()
    {
        string path = TempBaseline();
        File.WriteAllText(path, "stale\n");
        try
        {
            string withWarning = Input.Replace("=> new Work().Step(1);", "{ int unused; return new Work().Step(1); }");
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => Baseline.VerifyAsync(path, For(withWarning)));
            Assert.IsNotType<XunitException>(failure);
            Assert.Contains("CS0168", failure.Message);
            Assert.Equal("stale\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
