using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Each Snapshots/Inputs/*.cs is compiled with the generator through the Roslyn testing SDK (<see cref="GeneratorTest"/>);
/// the generated file must equal Snapshots/Baselines/*.g.cs and the whole result must compile without a warning.
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
    public Task Generated_code_matches_the_baseline_and_compiles_cleanly(string name)
    {
        string input = File.ReadAllText(Path.Combine(Inputs, name + ".cs"));
        return Baseline.VerifyAsync(Path.Combine(Baselines, name + ".g.cs"), baseline =>
        {
            // No generator diagnostic and no warning of the compiled result are expected: none may occur.
            var test = new GeneratorTest();
            test.TestState.Sources.Add((name + ".cs", SourceText.From(input, Encoding.UTF8)));
            if (baseline is not null)
            {
                test.TestState.GeneratedSources.Add((typeof(TracingGenerator), Emitter.HintName, baseline));
            }
            return test;
        });
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
