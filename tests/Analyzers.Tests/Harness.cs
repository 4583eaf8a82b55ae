using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace OtelGen.Analyzers.Tests;

/// <summary>
/// Compiles C# in memory against the real OtelGen runtime and runs the real analyzers and code fixes. The usings,
/// references and options here are also what the Roslyn testing SDK's tests get (Verifiers.cs); new analyzer and
/// code-fix tests use those verifiers. Analyze/Single/None/At/Fix remain for InstrumentationTests.
/// </summary>
internal static class Harness
{
    private const string Usings = OtelGenTestSetup.Usings;

    private static MetadataReference[] References => OtelGenTestSetup.References;

    private static CSharpParseOptions ParseOptions => OtelGenTestSetup.ParseOptions;

    private static CSharpCompilationOptions CompilationOptions => OtelGenTestSetup.CompilationOptions;

    private static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } =
        ImmutableArray.Create<DiagnosticAnalyzer>(new SemanticConventionsAnalyzer(), new InstrumentationAnalyzer());

    public static CSharpCompilation Compile(string source, bool withRuntime = true, params (string Path, string Text)[] extraFiles)
    {
        string usings = withRuntime ? Usings : Usings.Replace("using OtelGen;", "").Replace("using OtelGen.Spans;", "");
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(usings + source, ParseOptions, path: "/src/Test.cs") };
        trees.AddRange(extraFiles.Select(f => CSharpSyntaxTree.ParseText(usings + f.Text, ParseOptions, path: f.Path)));
        MetadataReference[] refs = withRuntime ? References : References.Where(r => !r.Display!.EndsWith("OtelGen.dll", StringComparison.Ordinal)).ToArray();
        CSharpCompilation compilation = CSharpCompilation.Create("Test", trees, refs, CompilationOptions);
        Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "test source does not compile:\n" + string.Join("\n", errors.Select(e => e.ToString())));
        return compilation;
    }

    /// <summary>All OtelGen diagnostics (OTG*), ordered by position; the coverage summary only when asked.</summary>
    public static Diagnostic[] Analyze(string source, bool withSummary = false, bool withRuntime = true, params (string Path, string Text)[] extraFiles) =>
        Run(Compile(source, withRuntime, extraFiles), withSummary);

    public static Diagnostic[] Run(Compilation compilation, bool withSummary = false)
    {
        var options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty);
        ImmutableArray<Diagnostic> diagnostics = compilation
            .WithAnalyzers(Analyzers, options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        return diagnostics
            .Where(d => d.Id.StartsWith("OTG", StringComparison.Ordinal) && (withSummary || d.Id != "OTG3005"))
            .OrderBy(d => d.Location == Location.None ? int.MaxValue : d.Location.SourceSpan.Start).ThenBy(d => d.Id)
            .ToArray();
    }

    /// <summary>The source text a diagnostic points at.</summary>
    public static string At(Diagnostic diagnostic) => diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);

    public static Diagnostic Single(string source, string id)
    {
        Diagnostic[] all = Analyze(source);
        Diagnostic[] matching = all.Where(d => d.Id == id).ToArray();
        Assert.True(matching.Length == 1, $"expected one {id}, got: " + string.Join("; ", all.Select(d => d.Id + " " + d.GetMessage())));
        return matching[0];
    }

    public static void None(string source, params string[] ids)
    {
        Diagnostic[] all = Analyze(source);
        Diagnostic[] hits = ids.Length == 0 ? all : all.Where(d => ids.Contains(d.Id)).ToArray();
        Assert.True(hits.Length == 0, "unexpected: " + string.Join("; ", hits.Select(d => d.Id + " at " + At(d) + ": " + d.GetMessage())));
    }

    /// <summary>
    /// Applies a code fix the way an IDE does: an AdhocWorkspace document, the provider's registered CodeAction,
    /// its operations applied to the workspace; returns the fixed document text (without the usings prefix).
    /// Superseded by <see cref="CodeFixVerifier{TAnalyzer, TCodeFix}"/> (InstrumentationCodeFixTests covers the same
    /// fixes); it goes once InstrumentationTests no longer calls it.
    /// </summary>
    public static async Task<string?> Fix(string source, string id, CodeFixProvider provider, int which = 0)
    {
        using var workspace = new AdhocWorkspace();
        ProjectInfo info = ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Create(), "Test", "Test", LanguageNames.CSharp,
            compilationOptions: CompilationOptions, parseOptions: ParseOptions, metadataReferences: References);
        Project project = workspace.AddProject(info);
        Document document = workspace.AddDocument(project.Id, "Test.cs", SourceText.From(Usings + source));
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        Diagnostic[] diagnostics = Run(compilation).Where(d => d.Id == id).ToArray();
        Assert.True(diagnostics.Length > which, $"no {id} to fix");

        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostics[which], (action, _) => actions.Add(action), CancellationToken.None);
        await provider.RegisterCodeFixesAsync(context);
        if (actions.Count == 0)
        {
            return null;
        }

        foreach (CodeActionOperation operation in await actions[0].GetOperationsAsync(CancellationToken.None))
        {
            operation.Apply(workspace, CancellationToken.None);
        }

        SourceText text = await workspace.CurrentSolution.GetDocument(document.Id)!.GetTextAsync();
        return text.ToString().Substring(Usings.Length);
    }
}
