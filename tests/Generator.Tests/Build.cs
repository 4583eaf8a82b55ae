using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace OtelGen.Generator.Tests;

/// <summary>
/// A build as the OtelGen package runs one: the generator, then every analyzer of OtelGen.Analyzers over the result.
/// The analyzers' diagnostics go through the compiler's filters (<c>#pragma warning</c>, <c>[SuppressMessage]</c>,
/// .editorconfig severities); the generator's are kept as the driver returns them.
/// </summary>
internal static class Build
{
    /// <summary>The analyzers the package ships, found as a build finds them: every [DiagnosticAnalyzer] type of OtelGen.Analyzers.dll.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = typeof(OtelGen.Analyzers.InstrumentationAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>What the build produced: the generator's run, and every OTG diagnostic a build shows (generator and analyzers; not the hidden OTG3005) in source order.</summary>
    public sealed record Result(Harness.Run Run, ImmutableArray<Diagnostic> Diagnostics)
    {
        public string? Generated => Run.Generated;

        public IReadOnlyList<Diagnostic> CompileProblems => Run.CompileProblems;

        /// <summary>The compiled program, loaded: interceptor errors only show when the compiler emits.</summary>
        public Assembly Load()
        {
            using var stream = new MemoryStream();
            var emitted = Run.Output.Emit(stream);
            Xunit.Assert.True(emitted.Success, Harness.Describe(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
            return Assembly.Load(stream.ToArray());
        }
    }

    public static Result Run(params (string Path, string Text)[] sources) => Run(Harness.Compile(sources));

    /// <summary>Runs the generator and the analyzers; <paramref name="editorConfig"/> is the text of an .editorconfig at the root ("/").</summary>
    public static Result Run(Compilation compilation, string? editorConfig = null)
    {
        AnalyzerOptions options = new(ImmutableArray<AdditionalText>.Empty);
        if (editorConfig is not null)
        {
            AnalyzerConfigSet set = AnalyzerConfigSet.Create(new[] { AnalyzerConfig.Parse(editorConfig, "/.editorconfig") });
            compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new TreeOptions(set)));
            options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, new ConfigOptions(set));
        }
        Harness.Run run = Harness.Generate(compilation);
        ImmutableArray<Diagnostic> analyzed = run.Output.WithAnalyzers(Analyzers, options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        ImmutableArray<Diagnostic> all = run.GeneratorDiagnostics
            .Concat(analyzed.Where(d => d.Id.StartsWith("OTG", StringComparison.Ordinal) && d.Severity != DiagnosticSeverity.Hidden))
            .OrderBy(d => d.Location == Location.None ? int.MaxValue : d.Location.SourceSpan.Start)
            .ThenBy(d => d.Id)
            .ToImmutableArray();
        return new Result(run, all);
    }

    /// <summary>The per-file severities the compiler reads from .editorconfig.</summary>
    private sealed class TreeOptions(AnalyzerConfigSet set) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            set.GetOptionsForSourcePath(tree.FilePath).TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            set.GlobalConfigOptions.TreeOptions.TryGetValue(diagnosticId, out severity);
    }

    /// <summary>The analyzer options an .editorconfig gives (AnalyzerConfigOptions).</summary>
    private sealed class ConfigOptions(AnalyzerConfigSet set) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions => new Options(set.GlobalConfigOptions.AnalyzerOptions);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(set.GetOptionsForSourcePath(tree.FilePath).AnalyzerOptions);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(set.GetOptionsForSourcePath(textFile.Path).AnalyzerOptions);

        private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }
}
