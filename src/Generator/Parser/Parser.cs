using Microsoft.CodeAnalysis;

namespace OtelGen.Generator;

/// <summary>
/// The "find" stage: reads symbols and syntax and returns plain models. Nothing here writes code and
/// nothing it returns holds a symbol or a syntax node. The parts that decide what is instrumented and what
/// can be intercepted (Rules, Shapes, CallShapes, Captures, AttributeArguments) are also compiled into
/// OtelGen.Analyzers, which reports the OTG1xxx diagnostics from them.
/// </summary>
internal static partial class Parser
{
    public const string TracedAttribute = "OtelGen.TracedAttribute";
    public const string EffectAttribute = "OtelGen.EffectAttribute";
    public const string TagAttribute = "OtelGen.TagAttribute";

    // "MyApp.Work.Step": namespace, containing types and name, no generic arguments.
    private static readonly SymbolDisplayFormat s_functionNameFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.None);
}
