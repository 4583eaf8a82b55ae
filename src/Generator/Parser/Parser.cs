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

/// <summary>
/// The "find" stage: reads symbols and syntax and returns plain models. Nothing here writes code and
/// nothing it returns holds a symbol or a syntax node.
/// </summary>
internal static partial class Parser
{
    public const string TracedAttribute = "OtelGen.TracedAttribute";
    public const string EffectAttribute = "OtelGen.EffectAttribute";
    public const string TagAttribute = "OtelGen.TagAttribute";

    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    // "MyApp.Work.Step": namespace, containing types and name, no generic arguments.
    private static readonly SymbolDisplayFormat s_functionNameFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.None);

    /// <summary>What instruments a method: an explicit attribute on it, or a wide rule (its type, its assembly).</summary>
    private sealed class Rule
    {
        public AttributeData? Traced;
        public AttributeData? Effect;
        public int WideKind = 1;
    }
}
