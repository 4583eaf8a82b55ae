using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

/// <summary>
/// Turns <c>[Traced]</c>/<c>[Effect]</c> methods into spans: every call site of an instrumented method is
/// intercepted by a generated method that records a span around the original call.
/// Find (Parser: syntax predicate, semantic transform into plain models) and emit (Emitter: text) never mix;
/// diagnostics travel on their own outputs so that the source output stays cached when only they change.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TracingGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names, for tests that check which steps the driver could cache.</summary>
    internal static class Steps
    {
        public const string CallSites = "OtelGen.CallSites";
        public const string Interceptors = "OtelGen.Interceptors";
        public const string Declarations = "OtelGen.Declarations";
        public const string Tags = "OtelGen.Tags";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<CallSiteResult> results = context.SyntaxProvider
            .CreateSyntaxProvider(Parser.IsCandidateInvocation, Parser.ParseCallSite)
            .Where(static r => r is not null)
            .Select(static (r, _) => r!)
            .WithTrackingName(Steps.CallSites);

        IncrementalValueProvider<ImmutableArray<CallSiteModel>> sites = results
            .Where(static r => r.Site is not null)
            .Select(static (r, _) => r.Site!)
            .Collect()
            .WithTrackingName(Steps.Interceptors);

        // Without the namespace opt-in every interceptor would be a compile error (CS9137): say what to add instead.
        IncrementalValueProvider<bool> interceptorsEnabled = context.ParseOptionsProvider
            .Select(static (options, _) => InterceptorsEnabled(options));

        context.RegisterSourceOutput(sites.Combine(interceptorsEnabled), static (output, input) =>
        {
            (ImmutableArray<CallSiteModel> sites, bool enabled) = input;
            if (sites.IsEmpty)
            {
                return;
            }
            if (!enabled)
            {
                output.ReportDiagnostic(Diagnostic.Create(Diagnostics.InterceptorsNotEnabled, Location.None, sites.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return;
            }
            output.AddSource(Emitter.HintName, Emitter.Emit(sites));
        });

        context.RegisterSourceOutput(
            results.Where(static r => r.Diagnostic is not null).Select(static (r, _) => r.Diagnostic!),
            static (output, diagnostic) => output.ReportDiagnostic(Diagnostics.ToDiagnostic(diagnostic)));

        IncrementalValuesProvider<EquatableArray<DiagnosticModel>> traced = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parser.TracedAttribute, static (node, _) => IsMethod(node), Parser.CheckDeclaration);
        IncrementalValuesProvider<EquatableArray<DiagnosticModel>> effects = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parser.EffectAttribute, static (node, _) => IsMethod(node), Parser.CheckDeclaration);
        IncrementalValuesProvider<EquatableArray<DiagnosticModel>> tags = context.SyntaxProvider
            .ForAttributeWithMetadataName(Parser.TagAttribute, static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ParameterSyntax, Parser.CheckTag)
            .WithTrackingName(Steps.Tags);

        Report(context, traced.WithTrackingName(Steps.Declarations));
        Report(context, effects.WithTrackingName(Steps.Declarations));
        Report(context, tags);
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

    private static bool IsMethod(SyntaxNode node) =>
        node is Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.LocalFunctionStatementSyntax;

    private static void Report(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticModel>> diagnostics) =>
        context.RegisterSourceOutput(diagnostics.SelectMany(static (d, _) => d.ToImmutableArray()), static (output, diagnostic) =>
            output.ReportDiagnostic(Diagnostics.ToDiagnostic(diagnostic)));
}
