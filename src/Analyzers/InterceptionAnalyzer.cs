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
        Rules.CallNotTraced,
        Rules.NotCalledByName,
        Rules.TagNotRecorded,
        Rules.ImplementationOutlivesCall);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        // Generated code is excluded on purpose: the interceptors themselves call the original methods.
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (InstrumentationRules.For(start.Compilation, start.Options) is not { } rules)
            {
                return;
            }

            start.RegisterSyntaxNodeAction(c => CheckCall(c, rules), SyntaxKind.InvocationExpression);
            start.RegisterSyntaxNodeAction(
                c => CheckAttributed(c, rules),
                SyntaxKind.MethodDeclaration, SyntaxKind.LocalFunctionStatement, SyntaxKind.ParenthesizedLambdaExpression,
                SyntaxKind.GetAccessorDeclaration, SyntaxKind.SetAccessorDeclaration, SyntaxKind.InitAccessorDeclaration,
                SyntaxKind.AddAccessorDeclaration, SyntaxKind.RemoveAccessorDeclaration, SyntaxKind.EventFieldDeclaration,
                SyntaxKind.OperatorDeclaration, SyntaxKind.ConversionOperatorDeclaration, SyntaxKind.DestructorDeclaration,
                SyntaxKind.Parameter);
            start.RegisterSymbolAction(c => CheckImplementation(c, rules), SymbolKind.Method);
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
        if (node is not (MemberDeclarationSyntax { AttributeLists.Count: > 0 } or LocalFunctionStatementSyntax { AttributeLists.Count: > 0 }
            or AccessorDeclarationSyntax { AttributeLists.Count: > 0 } or LambdaExpressionSyntax { AttributeLists.Count: > 0 } or ParameterSyntax { AttributeLists.Count: > 0 })
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
                CheckTag(context, parameter, tags, rules);
            }

            return;
        }

        foreach (IMethodSymbol method in MethodsDeclaredBy(node, model, cancellationToken))
        {
            ImmutableArray<AttributeData> own = method.GetAttributes();
            if (Parser.Find(own, "NoTraceAttribute") is not null)
            {
                continue;
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
    }

    /// <summary>The methods a declaration declares: itself, a lambda, or the accessors a <c>[method: ...]</c> attribute of a field-like event applies to.</summary>
    private static IEnumerable<IMethodSymbol> MethodsDeclaredBy(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        switch (node)
        {
            case LambdaExpressionSyntax lambda:
                if (model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol function)
                {
                    yield return function;
                }

                break;
            case EventFieldDeclarationSyntax field:
                foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables)
                {
                    if (model.GetDeclaredSymbol(variable, cancellationToken) is IEventSymbol @event)
                    {
                        foreach (IMethodSymbol? accessor in new[] { @event.AddMethod, @event.RemoveMethod })
                        {
                            if (accessor is not null)
                            {
                                yield return accessor;
                            }
                        }
                    }
                }

                break;
            default:
                if (model.GetDeclaredSymbol(node, cancellationToken) is IMethodSymbol method)
                {
                    yield return method;
                }

                break;
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
            // A member without a name of its own (a lambda, an accessor, an operator) is pointed at by the attribute.
            Location at = unsupported.Descriptor == Rules.NotCalledByName ? AttributeLocation(attributes[0], location, cancellationToken) : location;
#pragma warning disable RS1005 // FindUnsupported answers with OTG1001-OTG1004 or OTG1009, all in SupportedDiagnostics
            context.ReportDiagnostic(Diagnostic.Create(unsupported.Descriptor, at, unsupported.Arguments));
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

    /// <summary>A <c>[Tag]</c> parameter: its type must be recordable, and its method traced.</summary>
    private static void CheckTag(SyntaxNodeAnalysisContext context, IParameterSymbol parameter, List<AttributeData> tags, InstrumentationRules rules)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        Location location = parameter.Locations.FirstOrDefault() ?? Location.None;
        foreach (AttributeData tag in tags)
        {
            if (Parser.Classify(parameter.Type, Parser.NamedBool(tag, "UseToString", false), out _, out string? problem) is null)
            {
                context.ReportDiagnostic(Diagnostic.Create(Rules.TagType, location, parameter.Name, parameter.Type.ToDisplayString(), problem!));
            }
        }

        if (parameter.ContainingSymbol is not IMethodSymbol method || IsTraced(method, rules, cancellationToken))
        {
            return;
        }

        string advice = TracedBase(method, rules, cancellationToken) is { } traced
            ? "Calls through '" + Parser.DisplayName(traced.Base) + "' record the tags of its own parameters: put [Tag] there"
            : "Trace '" + Parser.DisplayName(method) + "' ([Traced] or [Effect]), or remove [Tag]";
        context.ReportDiagnostic(Diagnostic.Create(Rules.TagNotRecorded, AttributeLocation(tags[0], location, cancellationToken), parameter.Name, Parser.DisplayName(method), advice));
    }

    /// <summary>Whether the tags of this method's parameters are read: a rule instruments it, or its own attribute asks and is reported otherwise (or [NoTrace] silences it).</summary>
    private static bool IsTraced(IMethodSymbol method, InstrumentationRules rules, CancellationToken cancellationToken)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (Parser.IsOtelGenAttribute(attribute, "TracedAttribute") || Parser.IsOtelGenAttribute(attribute, "EffectAttribute") || Parser.IsOtelGenAttribute(attribute, "NoTraceAttribute"))
            {
                return true;
            }
        }

        return rules.Of(method, cancellationToken) is not null;
    }

    private static Location AttributeLocation(AttributeData attribute, Location fallback, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? fallback;

    // Overrides and implementations of traced methods.

    /// <summary>
    /// OTG1011: an override or implementation of a traced method that is async void or an iterator, whose work goes
    /// on after the call returns (and so after the span of a call through the traced method ends).
    /// </summary>
    private static void CheckImplementation(SymbolAnalysisContext context, InstrumentationRules rules)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (method.MethodKind is not (MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation) || method.IsStatic)
        {
            return;
        }

        string? shape = method.IsAsync && method.ReturnsVoid ? "is async void"
            : IsEnumerable(method.ReturnType) && Parser.IsIterator(method, context.CancellationToken) ? "is an iterator (it uses yield)"
            : null;
        if (shape is null || Parser.Find(method.GetAttributes(), "TracedAttribute") is not null || Parser.Find(method.GetAttributes(), "EffectAttribute") is not null
            || TracedBase(method, rules, context.CancellationToken) is not { } traced)
        {
            return; // an attribute on the method itself is reported as OTG1001/OTG1002
        }

        string advice = method.ReturnsVoid
            ? "Return Task from both, so that the span ends when the work does"
            : "Trace the method that enumerates the result, or return a materialized collection";
        context.ReportDiagnostic(Diagnostic.Create(
            Rules.ImplementationOutlivesCall, method.Locations.FirstOrDefault() ?? Location.None,
            Parser.DisplayName(method), traced.Verb, Parser.DisplayName(traced.Base), shape, advice));
    }

    /// <summary>The nearest traced method this one overrides or implements (a supported one: an unsupported one is reported itself).</summary>
    private static (IMethodSymbol Base, string Verb)? TracedBase(IMethodSymbol method, InstrumentationRules rules, CancellationToken cancellationToken)
    {
        for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (rules.Of(overridden, cancellationToken) is { Unsupported: null })
            {
                return (overridden.OriginalDefinition, "overrides");
            }
        }

        foreach (IMethodSymbol member in method.ExplicitInterfaceImplementations)
        {
            if (rules.Of(member, cancellationToken) is { Unsupported: null })
            {
                return (member.OriginalDefinition, "implements");
            }
        }

        if (method.ContainingType is { } type && method.DeclaredAccessibility == Accessibility.Public)
        {
            foreach (INamedTypeSymbol implemented in type.AllInterfaces)
            {
                foreach (ISymbol member in implemented.GetMembers(method.Name))
                {
                    if (member is IMethodSymbol interfaceMethod
                        && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(interfaceMethod), method)
                        && rules.Of(interfaceMethod, cancellationToken) is { Unsupported: null })
                    {
                        return (interfaceMethod.OriginalDefinition, "implements");
                    }
                }
            }
        }

        return null;
    }

    private static bool IsEnumerable(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "IEnumerable" or "IEnumerator", ContainingNamespace: { } ns }
        && ns.ToDisplayString() is "System.Collections.Generic" or "System.Collections";
}
