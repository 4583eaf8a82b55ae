using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

internal static partial class Parser
{
    // Declarations (diagnostics only).

    /// <summary>
    /// The OTG1xxx checks of one attributed declaration: a method or local function with <c>[Traced]</c> or
    /// <c>[Effect]</c> (checked once per attribute type, as separate attribute searches would), a parameter with <c>[Tag]</c>.
    /// </summary>
    private static void CheckDeclaredSymbol(SyntaxNode node, SemanticModel model, ref List<DiagnosticModel>? diagnostics, CancellationToken cancellationToken)
    {
        switch (model.GetDeclaredSymbol(node, cancellationToken))
        {
            case IMethodSymbol method:
                ImmutableArray<AttributeData> own = method.GetAttributes();
                foreach (string name in new[] { "TracedAttribute", "EffectAttribute" })
                {
                    if (AttributesOn(own, node, name) is { Count: > 0 } matching)
                    {
                        CheckDeclaration(method, matching, model.Compilation, ref diagnostics, cancellationToken);
                    }
                }
                break;
            case IParameterSymbol parameter when AttributesOn(parameter.GetAttributes(), node, "TagAttribute") is { Count: > 0 } tags:
                CheckTag(parameter, tags, ref diagnostics);
                break;
        }
    }

    /// <summary>The OtelGen attributes of this name written on this very declaration (not on another part of a partial method).</summary>
    private static List<AttributeData>? AttributesOn(ImmutableArray<AttributeData> attributes, SyntaxNode node, string name)
    {
        List<AttributeData>? found = null;
        foreach (AttributeData attribute in attributes)
        {
            if (IsOtelGenAttribute(attribute, name)
                && attribute.ApplicationSyntaxReference is { } reference
                && reference.SyntaxTree == node.SyntaxTree
                && node.Span.Contains(reference.Span))
            {
                (found ??= new List<AttributeData>()).Add(attribute);
            }
        }
        return found;
    }

    /// <summary>Checks a method that carries <c>[Traced]</c> or <c>[Effect]</c> itself: unsupported shapes and ReturnTag.</summary>
    private static void CheckDeclaration(IMethodSymbol method, List<AttributeData> attributes, Compilation compilation, ref List<DiagnosticModel>? diagnostics, CancellationToken cancellationToken)
    {
        if (Find(AttributesOf(method), "NoTraceAttribute") is not null)
        {
            return;
        }
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        if (FindUnsupported(method, compilation, cancellationToken) is { } unsupported)
        {
            (diagnostics ??= new List<DiagnosticModel>()).Add(Diagnostics.Create(unsupported.Descriptor, location, unsupported.Arguments));
        }
        foreach (AttributeData attribute in attributes)
        {
            if (NamedString(attribute, "ReturnTag") is not null && ReturnTagProblem(method, out _) is { } problem)
            {
                Location at = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location;
                (diagnostics ??= new List<DiagnosticModel>()).Add(Diagnostics.Create(Diagnostics.ReturnTagType, at, DisplayName(method), problem));
            }
        }
    }

    /// <summary>Checks a <c>[Tag]</c> parameter: its type must be recordable.</summary>
    private static void CheckTag(IParameterSymbol parameter, List<AttributeData> attributes, ref List<DiagnosticModel>? diagnostics)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (Classify(parameter.Type, NamedBool(attribute, "UseToString", false), out _, out string? problem) is null)
            {
                (diagnostics ??= new List<DiagnosticModel>()).Add(Diagnostics.Create(Diagnostics.TagType, parameter.Locations.FirstOrDefault(), parameter.Name, parameter.Type.ToDisplayString(), problem!));
            }
        }
    }
}
