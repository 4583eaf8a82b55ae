using Microsoft.CodeAnalysis;

namespace OtelGen.Analyzers;

/// <summary>The OtelGen attribute types of one compilation (null when the runtime is not referenced).</summary>
internal sealed class OtelGenAttributes
{
    public OtelGenAttributes(Compilation compilation)
    {
        Traced = compilation.GetTypeByMetadataName("OtelGen.TracedAttribute");
        Effect = compilation.GetTypeByMetadataName("OtelGen.EffectAttribute");
        Tag = compilation.GetTypeByMetadataName("OtelGen.TagAttribute");
        NoTrace = compilation.GetTypeByMetadataName("OtelGen.NoTraceAttribute");
    }

    public INamedTypeSymbol? Traced { get; }

    public INamedTypeSymbol? Effect { get; }

    public INamedTypeSymbol? Tag { get; }

    public INamedTypeSymbol? NoTrace { get; }

    public bool IsTracedOrEffect(INamedTypeSymbol? type) =>
        type is not null && (SymbolEqualityComparer.Default.Equals(type, Traced) || SymbolEqualityComparer.Default.Equals(type, Effect));

    public bool Has(ISymbol symbol, INamedTypeSymbol? attributeType)
    {
        if (attributeType is null)
        {
            return false;
        }

        foreach (AttributeData a in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(a.AttributeClass, attributeType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the generator instruments calls to this method: it carries [Traced] or [Effect], or it is a public
    /// method declared by a type carrying [Traced]; [NoTrace] on the method or its type opts out.
    /// </summary>
    public bool IsInstrumented(IMethodSymbol method)
    {
        if (method.MethodKind != MethodKind.Ordinary || Has(method, NoTrace))
        {
            return false;
        }

        if (Has(method, Traced) || Has(method, Effect))
        {
            return true;
        }

        INamedTypeSymbol? type = method.ContainingType;
        return type is not null && method.DeclaredAccessibility == Accessibility.Public && Has(type, Traced) && !Has(type, NoTrace);
    }

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
