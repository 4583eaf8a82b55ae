using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace OtelGen.Analyzers.Tests;

/// <summary>
/// What every analyzer and code-fix test of the Roslyn testing SDK gets here, so that it sees what a build does:
/// the sources start with <see cref="Usings"/>; they compile against the running framework's assemblies and the real
/// OtelGen runtime (<see cref="References"/>; no reference pack is fetched from NuGet) with C# latest and nullable
/// enabled; every analyzer OtelGen ships runs (the one under test first), and the coverage summary OTG3005 is off
/// unless a test turns it on.
/// </summary>
internal static class OtelGenTestSetup
{
    /// <summary>No reference assemblies of the SDK's own (its defaults download a reference pack at run time).</summary>
    public static readonly ReferenceAssemblies NoReferencePack = new("net10.0");

    public const string CoverageSummaryId = "OTG3005";

    /// <summary>Usings every test source gets.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using System.Diagnostics.Metrics;
        using System.Linq;
        using System.Linq.Expressions;
        using System.Threading.Tasks;
        using OtelGen;
        using OtelGen.Spans;

        """;

    private static readonly Lazy<MetadataReference[]> s_frameworkReferences = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    /// <summary>The running framework's System.* assemblies, mscorlib and netstandard.</summary>
    public static MetadataReference[] FrameworkReferences => s_frameworkReferences.Value;

    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
        FrameworkReferences.Append(MetadataReference.CreateFromFile(typeof(TracedAttribute).Assembly.Location)).ToArray());

    /// <summary><see cref="FrameworkReferences"/> and the OtelGen runtime.</summary>
    public static MetadataReference[] References => s_references.Value;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static readonly CSharpCompilationOptions CompilationOptions = new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true);

    /// <summary>The analyzers the package ships, found as a build finds them: every [DiagnosticAnalyzer] type of OtelGen.Analyzers.dll.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> ShippedAnalyzers { get; } = typeof(InstrumentationAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = NoReferencePack;
        test.TestState.AdditionalReferences.AddRange(References);
        test.DisabledDiagnostics.Add(CoverageSummaryId);
    }

    /// <summary>
    /// The SDK pins every supported id to <see cref="ReportDiagnostic.Default"/> in the compilation options, and such
    /// an entry outranks a .globalconfig's severities (per id and per category); a build has no such entries, so they go.
    /// Ids the SDK raises (AD0001) or a test disables keep theirs.
    /// </summary>
    public static Project AsInABuild(Project project)
    {
        CompilationOptions options = project.CompilationOptions!;
        ImmutableDictionary<string, ReportDiagnostic> specific = options.SpecificDiagnosticOptions
            .Where(entry => entry.Value != ReportDiagnostic.Default)
            .ToImmutableDictionary();
        return project.WithCompilationOptions(options.WithSpecificDiagnosticOptions(specific));
    }

    /// <summary>The analyzer under test and, after it, the other analyzers of the package.</summary>
    public static IEnumerable<DiagnosticAnalyzer> Analyzers<TAnalyzer>()
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        yield return new TAnalyzer();
        foreach (DiagnosticAnalyzer other in ShippedAnalyzers.Where(a => a.GetType() != typeof(TAnalyzer)))
        {
            yield return other;
        }
    }

    /// <summary>
    /// An expected diagnostic with the default severity of its descriptor; the message is checked only when the test
    /// gives it (<c>WithMessage</c>), since a result made from the descriptor would compare against the bare format.
    /// </summary>
    public static DiagnosticResult Diagnostic(string id)
    {
        DiagnosticDescriptor descriptor = ShippedAnalyzers.SelectMany(a => a.SupportedDiagnostics).FirstOrDefault(d => d.Id == id)
            ?? throw new ArgumentException("no OtelGen analyzer reports " + id, nameof(id));
        return new DiagnosticResult(descriptor.Id, descriptor.DefaultSeverity);
    }
}

/// <summary>Analyzer tests with markup: <c>{|OTG2001:"http.method"|}</c>, or <c>{|#0:...|}</c> with <c>Diagnostic(id).WithLocation(0)</c>.</summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => OtelGenTestSetup.Diagnostic(id);

    /// <summary>Runs the analyzers over <paramref name="source"/> (usings are added) and expects exactly <paramref name="expected"/> besides the markup.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = OtelGenTestSetup.Usings + source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test() => OtelGenTestSetup.Configure(this);

        protected override CompilationOptions CreateCompilationOptions() => OtelGenTestSetup.CompilationOptions;

        protected override ParseOptions CreateParseOptions() => OtelGenTestSetup.ParseOptions;

        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => OtelGenTestSetup.Analyzers<TAnalyzer>();

        protected override Project ApplyCompilationOptions(Project project) => OtelGenTestSetup.AsInABuild(base.ApplyCompilationOptions(project));
    }
}

/// <summary>Code-fix tests: the diagnostics of the source in markup, and the source as the fix leaves it.</summary>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => OtelGenTestSetup.Diagnostic(id);

    /// <summary>Every fixable diagnostic of <paramref name="source"/> is fixed (one by one and all at once) and the result must be <paramref name="fixedSource"/>.</summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = OtelGenTestSetup.Usings + source, FixedCode = OtelGenTestSetup.Usings + fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test() => OtelGenTestSetup.Configure(this);

        /// <summary>With <see cref="CodeFixTestBehaviors.FixOne"/>: which of the fixable diagnostics (in source order) is fixed.</summary>
        public int DiagnosticToFix { get; set; }

        protected override CompilationOptions CreateCompilationOptions() => OtelGenTestSetup.CompilationOptions;

        protected override ParseOptions CreateParseOptions() => OtelGenTestSetup.ParseOptions;

        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => OtelGenTestSetup.Analyzers<TAnalyzer>();

        protected override Project ApplyCompilationOptions(Project project) => OtelGenTestSetup.AsInABuild(base.ApplyCompilationOptions(project));

        protected override Diagnostic? TrySelectDiagnosticToFix(ImmutableArray<Diagnostic> fixableDiagnostics) =>
            fixableDiagnostics.Length > DiagnosticToFix ? fixableDiagnostics[DiagnosticToFix] : null;
    }
}
