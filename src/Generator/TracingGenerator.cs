using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

/// <summary>
/// Turns <c>[Traced]</c>/<c>[Effect]</c> methods into spans: every call site of an instrumented method is
/// intercepted by a generated method that records a span around the original call.
/// Find (Parser: per file, bind the calls into plain models; only files that changed, or all when declarations changed) and emit (Emitter: text) never mix;
/// the generator reports only OTG1008 (interceptors not enabled); the other OTG1xxx diagnostics come from OtelGen.Analyzers.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TracingGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names, for tests that check which steps the driver could cache.</summary>
    internal static class Steps
    {
        public const string Shapes = "OtelGen.Shapes";
        public const string TracedNames = "OtelGen.TracedNames";
        public const string FileInputs = "OtelGen.FileInputs";
        public const string CallSites = "OtelGen.CallSites";
        public const string Interceptors = "OtelGen.Interceptors";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // One entry per file, the same object while the file is unchanged: everything below that depends on a
        // file alone reruns only when that file changed (see ProjectShape.cs for why binding is keyed this way).
        IncrementalValuesProvider<CompilationUnitSyntax> files = context.SyntaxProvider
            .CreateSyntaxProvider(static (node, _) => node is CompilationUnitSyntax, static (syntax, _) => (CompilationUnitSyntax)syntax.Node);

        IncrementalValuesProvider<ShapedFile> shaped = files
            .Select(static (unit, cancellationToken) => new ShapedFile(unit, DeclarationShape.Of(unit, cancellationToken)));

        IncrementalValueProvider<ProjectShape> shape = shaped
            .Select(static (file, _) => file.Shape)
            .WithTrackingName(Steps.Shapes)
            .Collect()
            .Combine(context.CompilationProvider.Select(static (compilation, _) => new CompilationShape(compilation)))
            .Select(static (input, _) => new ProjectShape(input.Left.ToArray(), input.Right));

        IncrementalValueProvider<CompilationRef> compilation = context.CompilationProvider
            .Select(static (compilation, _) => new CompilationRef(compilation));

        IncrementalValueProvider<TracedNames> names = shape
            .Combine(compilation)
            .Select(static (input, _) => new ShapeInput(input.Left, input.Right))
            .Select(static (input, cancellationToken) => TracedNames.Of(input.Compilation, cancellationToken))
            .WithTrackingName(Steps.TracedNames);

        // Per file, not per call: a provider with one entry per call site would cost the driver (and its step
        // tracking) work for every call on every run, even when all of them are cached.
        IncrementalValuesProvider<FileResult> bound = shaped
            .Combine(shape.Combine(names))
            .Select(static (input, _) => new FileKey(
                input.Left.Unit,
                input.Right.Left.DependenciesOf(input.Left.Shape),
                input.Right.Left.Compilation,
                input.Right.Right.Within(input.Left.Shape.Referenced)))
            .Combine(compilation)
            .Select(static (input, _) => new FileInput(input.Left, input.Right))
            .WithTrackingName(Steps.FileInputs)
            .Select(Parser.ParseFile)
            .WithTrackingName(Steps.CallSites);

        IncrementalValueProvider<EquatableArray<CallSiteModel>> sites = bound
            .Collect()
            .Select(static (files, _) => new EquatableArray<CallSiteModel>(files.SelectMany(static f => f.Sites)))
            .WithTrackingName(Steps.Interceptors);

        // Without the namespace opt-in every interceptor would be a compile error (CS9137): say what to add instead.
        IncrementalValueProvider<bool> interceptorsEnabled = context.ParseOptionsProvider
            .Select(static (options, _) => InterceptorsEnabled(options));

        context.RegisterSourceOutput(sites.Combine(interceptorsEnabled), static (output, input) =>
        {
            (EquatableArray<CallSiteModel> sites, bool enabled) = input;
            if (sites.Count == 0)
            {
                return;
            }
            if (!enabled)
            {
                output.ReportDiagnostic(Diagnostic.Create(Diagnostics.InterceptorsNotEnabled, Location.None, sites.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return;
            }
            output.AddSource(Emitter.HintName, Emitter.Emit(sites));
        });

        // The OTG1xxx diagnostics of declarations and calls are reported by OtelGen.Analyzers (InterceptionAnalyzer),
        // from the same inspection, so that #pragma, [SuppressMessage] and .editorconfig severities apply to them:
        // the generator reports only OTG1008 above, which needs its count of call sites.
    }

    internal const string GeneratedNamespace = "OtelGen.Generated";

    private static bool InterceptorsEnabled(ParseOptions options)
    {
        foreach (string feature in new[] { "InterceptorsNamespaces", "InterceptorsPreviewNamespaces" })
        {
            if (options.Features.TryGetValue(feature, out string? namespaces))
            {
                foreach (string name in namespaces.Split(';'))
                {
                    if (name.Trim() == GeneratedNamespace)
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
