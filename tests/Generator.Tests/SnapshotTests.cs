using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Each Snapshots/Inputs/*.cs is compiled with the generator; the generated file must equal
/// Snapshots/Baselines/*.g.cs and the whole result must compile without a warning.
/// </summary>
public class SnapshotTests
{
    private static string Inputs => Path.Combine(Harness.SourceDirectory(), "Snapshots", "Inputs");
    private static string Baselines => Path.Combine(Harness.SourceDirectory(), "Snapshots", "Baselines");

    public static IEnumerable<object[]> Cases() =>
        Directory.GetFiles(Path.Combine(Harness.SourceDirectory(), "Snapshots", "Inputs"), "*.cs")
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .OrderBy(n => n)
            .Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_matches_the_baseline_and_compiles_cleanly(string name)
    {
        string input = File.ReadAllText(Path.Combine(Inputs, name + ".cs"));
        Harness.Run run = Harness.Generate((name + ".cs", input));

        Assert.True(run.GeneratorDiagnostics.IsEmpty, Harness.Describe(run.GeneratorDiagnostics));
        Assert.NotNull(run.Generated);
        Assert.True(run.CompileProblems.Count == 0, "The generated code does not compile cleanly:\n" + Harness.Describe(run.CompileProblems) + "\n" + run.Generated);
        Baseline.Match(Path.Combine(Baselines, name + ".g.cs"), run.Generated!);
    }

    [Fact]
    public void Baselines_hold_no_machine_paths()
    {
        foreach (string file in Directory.GetFiles(Baselines))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain(Harness.SourceDirectory(), text);
            Assert.DoesNotContain("/home/", text);
            Assert.DoesNotContain(":\\", text);
        }
    }
}
