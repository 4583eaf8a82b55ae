using Microsoft.CodeAnalysis;

namespace OtelGen.Analyzers;

/// <summary>
/// The OtelGen attribute types of one compilation (null when the runtime is not referenced). Which methods are
/// instrumented is the generator's rule, shared with the analyzers (Parser.InstrumentationOf, linked from src/Generator).
/// </summary>
internal sealed class OtelGenAttributes
{
    public OtelGenAttributes(Compilation compilation)
    {
        Traced = compilation.GetTypeByMetadataName("OtelGen.TracedAttribute");
        Effect = compilation.GetTypeByMetadataName("OtelGen.EffectAttribute");
        Tag = compilation.GetTypeByMetadataName("OtelGen.TagAttribute");
    }

    public INamedTypeSymbol? Traced { get; }

    public INamedTypeSymbol? Effect { get; }

    public INamedTypeSymbol? Tag { get; }

    public bool IsTracedOrEffect(INamedTypeSymbol? type) =>
        type is not null && (SymbolEqualityComparer.Default.Equals(type, Traced) || SymbolEqualityComparer.Default.Equals(type, Effect));

    /// <summary>The value type of an awaited result: T for Task&lt;T&gt; and ValueTask&lt;T&gt;.</summary>
    public static ITypeSymbol? UnwrapTask(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
            && named.OriginalDefinition.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks"
            && named.Name is "Task" or "ValueTask")
        {
            return named.TypeArguments[0];
        }

        return type.SpecialType == SpecialType.System_Void ? null : type;
    }
}
