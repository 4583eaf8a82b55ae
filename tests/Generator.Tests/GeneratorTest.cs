using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace OtelGen.Generator.Tests;

/// <summary>
/// The Roslyn testing SDK's source-generator test, set up as <see cref="Harness"/> compiles: the sources against the
/// running framework's assemblies and the real OtelGen runtime (no reference pack is fetched from NuGet), C# preview
/// with the interceptors feature on, nullable enabled. Every generator diagnostic and every compiler warning or error
/// of the result (input plus generated code) must be expected.
/// </summary>
internal sealed class GeneratorTest : CSharpSourceGeneratorTest<TracingGenerator, DefaultVerifier>
{
    public GeneratorTest()
    {
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(Harness.References);
        TestState.DocumentationMode = Harness.ParseOptions.DocumentationMode;
        CompilerDiagnostics = CompilerDiagnostics.Warnings;
    }

    /// <summary>The interceptors file of the last compilation the SDK checked diagnostics on (null when none was generated).</summary>
    public string? Generated { get; private set; }

    /// <summary>The assembly name Harness compiles under.</summary>
    protected override string DefaultTestProjectName => "Sample";

    protected override CompilationOptions CreateCompilationOptions() => Harness.CompilationOptions;

    /// <summary>The parse options of the test project: <see cref="Harness.ParseOptions"/> unless a test needs others (the interceptors feature off).</summary>
    public CSharpParseOptions ParseOptions { get; init; } = Harness.ParseOptions;

    protected override ParseOptions CreateParseOptions() => ParseOptions;

    protected override async Task<(Compilation compilation, ImmutableArray<Diagnostic> generatorDiagnostics)> GetProjectCompilationAsync(Project project, IVerifier verifier, CancellationToken cancellationToken)
    {
        (Compilation compilation, ImmutableArray<Diagnostic> generatorDiagnostics) = await base.GetProjectCompilationAsync(project, verifier, cancellationToken);
        Generated = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath.EndsWith(Emitter.HintName, StringComparison.Ordinal))?.ToString();
        return (compilation, generatorDiagnostics);
    }
}
