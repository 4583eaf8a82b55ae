using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OtelGen.Generator;

namespace OtelGen.Generator.Tests;

/// <summary>
/// Runs the generator through CSharpGeneratorDriver over in-memory sources, against the real OtelGen runtime, with
/// step tracking on (CachingTests need it; the testing SDK's <see cref="GeneratorTest"/> has none), and for the tests
/// that need the generated code or the compiled program besides the diagnostics the SDK checks (DiagnosticTests,
/// SilentMissTests: the SDK does not run programs). Its references and options are also the ones
/// <see cref="GeneratorTest"/> and <see cref="InterceptionTest"/> use.
/// </summary>
internal static class Harness
{
    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Preview)
        .WithFeatures(new[] { new KeyValuePair<string, string>("InterceptorsNamespaces", "OtelGen.Generated") });

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .ToList();
        paths.Add(typeof(OtelGen.Tracing).Assembly.Location);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    /// <summary>The running framework's System.* assemblies, mscorlib, netstandard and OtelGen.Runtime.</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary>
    /// A library, nullable enabled, and CS1701/CS1702 off as the .NET SDK has them (NoWarn 1701;1702): OtelGen.Runtime
    /// is built for net8.0 and names System.Diagnostics.DiagnosticSource 8.0 (ActivityKind), unified here with the running
    /// framework's, as in a user's build.
    /// </summary>
    public static readonly CSharpCompilationOptions CompilationOptions =
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true)
            .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress });

    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create(
            "Sample",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, path: s.Path, encoding: Encoding.UTF8)),
            References,
            CompilationOptions);

    public static GeneratorDriver Driver(CSharpParseOptions? parseOptions = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new TracingGenerator().AsSourceGenerator() },
            parseOptions: parseOptions ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>A generator run: the compilation with the generated code, the generator's diagnostics, and the interceptors file (null when none was generated).</summary>
    public sealed record Run(Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, string? Generated)
    {
        /// <summary>Every warning or error of the compiled result (input plus generated code).</summary>
        public IReadOnlyList<Diagnostic> CompileProblems =>
            Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

        /// <summary>The compiled program (input plus generated code), loaded: interceptor errors only show when the compiler emits.</summary>
        public Assembly Load()
        {
            using var stream = new MemoryStream();
            var emitted = Output.Emit(stream);
            Xunit.Assert.True(emitted.Success, Describe(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
            return Assembly.Load(stream.ToArray());
        }
    }

    /// <summary>Runs the generator over <paramref name="sources"/> (for the tests that need its output or the program; its diagnostics are in <see cref="Run.GeneratorDiagnostics"/>).</summary>
    public static Run Generate(params (string Path, string Text)[] sources)
    {
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(Compile(sources), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        string? generated = driver.GetRunResult().GeneratedTrees.FirstOrDefault(t => t.FilePath.EndsWith(Emitter.HintName, StringComparison.Ordinal))?.ToString();
        return new Run(output, diagnostics, generated);
    }

    /// <summary>A source without the testing SDK's diagnostic markup (<c>{|#0:</c>, <c>{|OTG1007:</c> and <c>|}</c>), as the generator is to see it.</summary>
    public static string WithoutMarkup(string source) => Regex.Replace(source, @"\{\|(#[0-9]+|[A-Z]+[0-9]+):|\|\}", "");

    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));

    public static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
