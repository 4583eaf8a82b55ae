using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using OtelGen.Analyzers;
using Xunit;

namespace OtelGen.Generator.Tests;

/// <summary>
/// The Roslyn testing SDK's analyzer test for what the generator cannot instrument: the OTG1xxx diagnostics, which
/// InterceptionAnalyzer reports from the generator's own rules. It compiles as <see cref="Harness"/> does (the running
/// framework's assemblies and the real OtelGen runtime, no reference pack fetched from NuGet; C# preview with the
/// interceptors feature on, nullable enabled) and runs every analyzer OtelGen ships, InterceptionAnalyzer first, as
/// a build does; the hidden coverage summary OTG3005 is off. Every diagnostic of those analyzers and every compiler
/// error must be expected (markup: <c>{|OTG1001:Fire|}</c>, or <c>{|#0:Fire|}</c> with <see cref="Diagnostic"/>).
/// The generator does not run here: a test that needs its output as well runs it with Harness.Generate.
/// </summary>
internal sealed class InterceptionTest : CSharpAnalyzerTest<InterceptionAnalyzer, DefaultVerifier>
{
    /// <summary>The analyzers the package ships, found as a build finds them: every [DiagnosticAnalyzer] type of OtelGen.Analyzers.dll.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> ShippedAnalyzers { get; } = typeof(InterceptionAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public InterceptionTest()
    {
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(Harness.References);
        TestState.DocumentationMode = Harness.ParseOptions.DocumentationMode;
        DisabledDiagnostics.Add("OTG3005");
    }

    /// <summary>A test of one source file, <paramref name="path"/>, with markup.</summary>
    public InterceptionTest(string path, string source, params DiagnosticResult[] expected)
        : this()
    {
        TestState.Sources.Add((path, SourceText.From(source, Encoding.UTF8)));
        ExpectedDiagnostics.AddRange(expected);
    }

    /// <summary>Runs the analyzers over <paramref name="source"/>, compiled as <paramref name="path"/>, and expects exactly <paramref name="expected"/> besides the markup.</summary>
    public static Task VerifyAsync(string path, string source, params DiagnosticResult[] expected) => new InterceptionTest(path, source, expected).RunAsync();

    /// <summary>
    /// An expected diagnostic of any shipped analyzer, with its descriptor's default severity; the message is checked
    /// only when the test gives it (<c>WithMessage</c>).
    /// </summary>
    public static DiagnosticResult Diagnostic(string id)
    {
        DiagnosticDescriptor descriptor = ShippedAnalyzers.SelectMany(a => a.SupportedDiagnostics).FirstOrDefault(d => d.Id == id)
            ?? throw new ArgumentException("no OtelGen analyzer reports " + id, nameof(id));
        return new DiagnosticResult(descriptor.Id, descriptor.DefaultSeverity);
    }

    /// <summary>An expected diagnostic at markup location <paramref name="location"/> (<c>{|#n:...|}</c>) with exactly <paramref name="message"/>.</summary>
    public static DiagnosticResult Diagnostic(string id, int location, string message) => Diagnostic(id).WithLocation(location).WithMessage(message);

    protected override CompilationOptions CreateCompilationOptions() => Harness.CompilationOptions;

    protected override ParseOptions CreateParseOptions() => Harness.ParseOptions;

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() =>
        ShippedAnalyzers.OrderBy(a => a is InterceptionAnalyzer ? 0 : 1);

    /// <summary>
    /// The SDK pins every supported id to <see cref="ReportDiagnostic.Default"/> in the compilation options, and such an
    /// entry outranks .editorconfig severities; a build has no such entries, so they go. Ids the SDK raises (AD0001)
    /// or a test disables keep theirs.
    /// </summary>
    protected override Project ApplyCompilationOptions(Project project)
    {
        project = base.ApplyCompilationOptions(project);
        CompilationOptions options = project.CompilationOptions!;
        ImmutableDictionary<string, ReportDiagnostic> specific = options.SpecificDiagnosticOptions
            .Where(entry => entry.Value != ReportDiagnostic.Default)
            .ToImmutableDictionary();
        return project.WithCompilationOptions(options.WithSpecificDiagnosticOptions(specific));
    }
}

/// <summary>
/// Tests over one file, Input.cs: the test class's usings, then the test's body. The analyzers through the SDK
/// (<see cref="Verify"/>), and the generator with markup removed (<see cref="Generate"/>), which reports nothing
/// (its one diagnostic, OTG1008, is for a project without the interceptors namespace).
/// </summary>
internal sealed class InputFile(string usings)
{
    /// <summary>The analyzers over <paramref name="body"/>: exactly <paramref name="expected"/> and the markup.</summary>
    public Task Verify(string body, params DiagnosticResult[] expected) => InterceptionTest.VerifyAsync("Input.cs", usings + body, expected);

    public Harness.Run Generate(string body)
    {
        Harness.Run run = Harness.Generate(("Input.cs", usings + Harness.WithoutMarkup(body)));
        Assert.True(run.GeneratorDiagnostics.IsEmpty, Harness.Describe(run.GeneratorDiagnostics));
        return run;
    }
}
