using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit.Sdk;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Checked-in baselines of generated code, verified as the expected generated source of a <see cref="GeneratorTest"/>
/// (the testing SDK shows a mismatch as a line diff, baseline first). Running with OTELGEN_UPDATE_BASELINES=1
/// rewrites a baseline whose only difference is the generated text, and still fails, so rewritten baselines get reviewed.
/// </summary>
internal static class Baseline
{
    public const string UpdateVariable = "OTELGEN_UPDATE_BASELINES";

    /// <summary>The baseline's text with LF line endings (the generator writes LF), or null when there is none yet.</summary>
    public static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;

    /// <summary>
    /// Runs the test that <paramref name="test"/> builds for the baseline's text (null: no generated file expected).
    /// When it fails, a second run without the generated-source check tells a baseline difference from any other
    /// failure (a diagnostic, a warning of the compiled result), which is reported as it is.
    /// </summary>
    public static async Task VerifyAsync(string path, Func<string?, GeneratorTest> test)
    {
        string? expected = Read(path);
        try
        {
            await test(expected).RunAsync();
            return;
        }
        catch (Exception mismatch)
        {
            GeneratorTest probe = test(null);
            probe.TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
            await probe.RunAsync();
            string? actual = probe.Generated;
            if (actual is null || actual == expected)
            {
                throw;
            }

            string name = Path.GetFileName(path);
            if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
            {
                File.WriteAllText(path, actual);
                throw new XunitException($"Baseline {name} was rewritten ({UpdateVariable}=1). Review it with git diff, then run again without {UpdateVariable}.");
            }
            if (expected is null)
            {
                throw new XunitException($"No baseline {path}. Run with {UpdateVariable}=1 to write it, then review it.\n--- actual ---\n{actual}");
            }
            throw new XunitException($"Generated code differs from {name}. If the change is intended, run with {UpdateVariable}=1 and review.\n{mismatch.Message}");
        }
    }
}
