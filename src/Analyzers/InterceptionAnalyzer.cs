using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using OtelGen.Generator;
using Rules = OtelGen.Generator.Diagnostics;

namespace OtelGen.Analyzers;

/// <summary>
/// The OTG1xxx diagnostics: what the generator cannot instrument, found by the generator's own inspection
/// (Parser.InstrumentationOf, Parser.InspectCall, Parser.Classify, compiled into this assembly from src/Generator).
/// They come from an analyzer, not from the generator, so that <c>#pragma warning disable</c>,
/// <c>[SuppressMessage]</c> and .editorconfig severities apply to them like to any other diagnostic; the generator
/// reports only OTG1008, which has no location.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InterceptionAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Rules.AsyncVoid,
        Rules.Iterator,
        Rules.UnsupportedSignature,
        Rules.Inaccessible,
        Rules.TagType,
        Rules.ReturnTagType,
        Rules.CallNotTraced);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        // Generated code is excluded on purpose: the interceptors themselves call the original methods.
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (InstrumentationRules.For(start.Compilation) is not { } rules)
            {
                return;
            }

            start.RegisterSyntaxNodeAction(c => CheckCall(c, rules), SyntaxKind.InvocationExpression);
            start.RegisterSyntaxNodeAction(
                c => CheckAttributed(c, rules),
                SyntaxKind.MethodDeclaration, SyntaxKind.LocalFunctionStatement, SyntaxKind.Parameter);
        });
    }

    // Calls.

    private static void CheckCall(SyntaxNodeAnalysisContext context, InstrumentationRules rules)
    {
        var invocation = (InvocationExpressionSyntax)context.Node;
        if (!Parser.IsCandidateInvocation(invocation, context.CancellationToken) || IsRepeatedVisit(context))
        {
            return; // not a call by name: OTG3001's
        }

        CallInspection call = rules.Inspect(invocation, context.SemanticModel, context.CancellationToken);
        if (call.Outcome == CallOutcome.NotTraced)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rules.CallNotTraced, Parser.NameOf(invocation).GetLocation(), Parser.DisplayName(call.Method!), call.Reason));
        }
    }

    /// <summary>
    /// Roslyn 4.14 runs node actions inside a C# 14 extension block once per enclosing declaration (the static class,
    /// the block, the member); the visits whose containing symbol is a type repeat the member's own.
    /// </summary>
    private static bool IsRepeatedVisit(SyntaxNodeAnalysisContext context) =>
        context.ContainingSymbol is INamedTypeSymbol && context.Node.Ancestors().Any(a => a.IsKind(SyntaxKind.ExtensionDeclaration));

    // Declarations that carry [Traced], [Effect] or [Tag].

    private static void CheckAttributed(SyntaxNodeAnalysisContext context, InstrumentationRules rules)
    {
        SyntaxNode node = context.Node;
        if (node is not (MemberDeclarationSyntax { AttributeLists.Count: > 0 } or LocalFunctionStatementSyntax { AttributeLists.Count: > 0 } or ParameterSyntax { AttributeLists.Count: > 0 })
            || IsRepeatedVisit(context))
        {
            return;
        }

        SemanticModel model = context.SemanticModel;
        CancellationToken cancellationToken = context.CancellationToken;
        if (node is ParameterSyntax)
        {
            if (model.GetDeclaredSymbol(node, cancellationToken) is IParameterSymbol parameter
                && AttributesOn(parameter.GetAttributes(), node, "TagAttribute") is { } tags)
            {
                CheckTag(context, parameter, tags);
            }

            return;
        }

        if (model.GetDeclaredSymbol(node, cancellationToken) is not IMethodSymbol method)
        {
            return;
        }

        ImmutableArray<AttributeData> own = method.GetAttributes();
        if (Parser.Find(own, "NoTraceAttribute") is not null)
        {
            return;
        }

        // Checked once per attribute type written here (not on another part of a partial method).
        foreach (string name in new[] { "TracedAttribute", "EffectAttribute" })
        {
            if (AttributesOn(own, node, name) is { } attributes)
            {
                CheckDeclaration(context, method, attributes);
            }
        }
    }

    /// <summary>The OtelGen attributes of this name written on this very declaration.</summary>
    private static List<AttributeData>? AttributesOn(ImmutableArray<AttributeData> attributes, SyntaxNode node, string name)
    {
        List<AttributeData>? found = null;
        foreach (AttributeData attribute in attributes)
        {
            if (Parser.IsOtelGenAttribute(attribute, name)
                && attribute.ApplicationSyntaxReference is { } reference
                && reference.SyntaxTree == node.SyntaxTree
                && node.Span.Contains(reference.Span))
            {
                (found ??= new List<AttributeData>()).Add(attribute);
            }
        }

        return found;
    }

    /// <summary>A method that carries <c>[Traced]</c> or <c>[Effect]</c> itself: unsupported shapes and ReturnTag.</summary>
    private static void CheckDeclaration(SyntaxNodeAnalysisContext context, IMethodSymbol method, List<AttributeData> attributes)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        if (Parser.FindUnsupported(method, context.SemanticModel.Compilation, cancellationToken) is { } unsupported)
        {
#pragma warning disable RS1005 // FindUnsupported answers with OTG1001-OTG1004, all in SupportedDiagnostics
            context.ReportDiagnostic(Diagnostic.Create(unsupported.Descriptor, location, unsupported.Arguments));
#pragma warning restore RS1005
            return;
        }

        foreach (AttributeData attribute in attributes)
        {
            if (Parser.NamedString(attribute, "ReturnTag") is not null && Parser.ReturnTagProblem(method) is { } problem)
            {
                context.ReportDiagnostic(Diagnostic.Create(Rules.ReturnTagType, AttributeLocation(attribute, location, cancellationToken), Parser.DisplayName(method), problem));
            }
        }
    }

    /// <summary>A <c>[Tag]</c> parameter: its type must be recordable.</summary>
    private static void CheckTag(SyntaxNodeAnalysisContext context, IParameterSymbol parameter, List<AttributeData> tags)
    {
        Location location = parameter.Locations.FirstOrDefault() ?? Location.None;
        foreach (AttributeData tag in tags)
        {
            if (Parser.Classify(parameter.Type, Parser.NamedBool(tag, "UseToString", false), out _, out string? problem) is null)
            {
                context.ReportDiagnostic(Diagnostic.Create(Rules.TagType, location, parameter.Name, parameter.Type.ToDisplayString(), problem!));
            }
        }
    }

    private static Location AttributeLocation(AttributeData attribute, Location fallback, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? fallback;
}
