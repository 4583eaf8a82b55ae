using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OtelGen.TestSupport;
using Xunit;

namespace OtelGen.Runtime.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md compiles in a file that also imports OpenTelemetry's API and
/// System.Diagnostics, as a user's file often does: no OtelGen name may clash with <c>OpenTelemetry.Trace</c>
/// (<c>Tracer</c>, <c>SpanKind</c>, <c>SpanContext</c>, ...) or <c>System.Diagnostics</c>. Compiled with Roslyn as a
/// library against the built runtime, OpenTelemetry.Api 1.21.0 and the framework; the generator does not run
/// (the attributes stay plain attributes), so this checks names and signatures, not spans.
/// </summary>
public sealed class ReadmeExamplesTests
{
    private const string Usings = "using OtelGen; using OpenTelemetry.Trace; using System.Diagnostics;\n";

    public static TheoryData<int, int> Blocks()
    {
        var data = new TheoryData<int, int>();
        foreach ((int index, int line, string _) in CSharpBlocks())
        {
            data.Add(index, line);
        }
        return data;
    }

    [Fact]
    public void The_readme_has_csharp_examples() => Assert.True(CSharpBlocks().Count >= 2, "README.md has fewer ```csharp blocks than expected");

    [Theory]
    [MemberData(nameof(Blocks))]
    public void A_readme_example_compiles_beside_OpenTelemetry_and_System_Diagnostics(int index, int line)
    {
        string code = CSharpBlocks()[index].Code;
        CSharpCompilation compilation = CSharpCompilation.Create(
            "ReadmeExample" + index,
            new[] { CSharpSyntaxTree.ParseText(Usings + code, new CSharpParseOptions(LanguageVersion.Latest), "README.md") },
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        string[] errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            // The prefix is one line: line N of the compiled file is line N - 1 of the block, which starts at README line `line` + 1.
            .Select(d => $"README.md:{line + d.Location.GetLineSpan().StartLinePosition.Line}: {d.Id} {d.GetMessage()}")
            .ToArray();
        Assert.True(errors.Length == 0, $"The README's ```csharp block at line {line} does not compile with `{Usings.Trim()}`:\n" + string.Join("\n", errors));
    }

    /// <summary>The blocks in order: index, the README line of the opening fence (1-based), and the code.</summary>
    private static List<(int Index, int Line, string Code)> CSharpBlocks()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var blocks = new List<(int, int, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }
            int start = i;
            var code = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                code.Add(lines[i]);
            }
            blocks.Add((blocks.Count, start + 1, string.Join("\n", code)));
        }
        return blocks;
    }

    private static IEnumerable<MetadataReference> References()
    {
        // What a net10.0 project that references OpenTelemetry.Api 1.21.0 compiles against: the framework's
        // assemblies (those beside System.Private.CoreLib, not the test's own dependencies), with the package's
        // newer System.Diagnostics.DiagnosticSource in place of the framework's, and the API itself.
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string diagnosticSource = PackageAssembly("DiagnosticSourcePackage", "System.Diagnostics.DiagnosticSource.dll");
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => string.Equals(Path.GetDirectoryName(p), framework, StringComparison.Ordinal))
            .Where(p => Path.GetFileName(p) != "System.Diagnostics.DiagnosticSource.dll")
            .Append(diagnosticSource)
            .Append(PackageAssembly("OpenTelemetryApiPackage", "OpenTelemetry.Api.dll"))
            .Append(typeof(Tracing).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
    }

    /// <summary>The assembly for this framework in a package that the project file downloads (PackageDownload).</summary>
    private static string PackageAssembly(string key, string file)
    {
        string package = typeof(ReadmeExamplesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == key).Value!;
        string path = Path.Combine(package, "lib", $"net{Environment.Version.Major}.0", file);
        Assert.True(File.Exists(path), path + " is missing (restoring tests/Runtime.Tests downloads it)");
        return path;
    }
}
