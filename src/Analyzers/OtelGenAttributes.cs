using System;
using System.Collections.Generic;
using System.Collections.Immutable;
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
        _assembly = compilation.Assembly;

        // [assembly: TracedNamespace("MyApp.Services", TypeNames = "*Repository")] rules of this compilation.
        INamedTypeSymbol? tracedNamespace = compilation.GetTypeByMetadataName("OtelGen.TracedNamespaceAttribute");
        var rules = ImmutableArray.CreateBuilder<AttributeData>();
        if (tracedNamespace is not null)
        {
            foreach (AttributeData a in compilation.Assembly.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(a.AttributeClass, tracedNamespace))
                {
                    rules.Add(a);
                }
            }
        }

        _namespaceRules = rules.ToImmutable();
    }

    private readonly IAssemblySymbol _assembly;
    private readonly ImmutableArray<AttributeData> _namespaceRules;

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
    /// Whether the generator instruments calls to this method, by the generator's own precedence: [NoTrace] on
    /// the method; [Effect]/[Traced] on it; [NoTrace] on its type; then, for public methods the user wrote (not
    /// Main, not object overrides), [Traced] on its type or an [assembly: TracedNamespace] rule of this compilation.
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
        if (type is null || Has(type, NoTrace) || !IsWideCandidate(method))
        {
            return false;
        }

        if (Has(type, Traced))
        {
            return true;
        }

        if (_namespaceRules.IsEmpty || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _assembly))
        {
            return false;
        }

        foreach (AttributeData rule in _namespaceRules)
        {
            if (NamespaceRuleMatches(rule, type))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWideCandidate(IMethodSymbol method)
    {
        if (method.DeclaredAccessibility != Accessibility.Public || method.IsImplicitlyDeclared || (method.IsStatic && method.Name == "Main"))
        {
            return false;
        }

        // ToString/Equals/GetHashCode overrides are left out by the generator.
        for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (overridden.ContainingType.SpecialType == SpecialType.System_Object)
            {
                return false;
            }
        }

        return true;
    }

    private static bool NamespaceRuleMatches(AttributeData rule, INamedTypeSymbol type)
    {
        string wanted = rule.ConstructorArguments.Length > 0 && rule.ConstructorArguments[0].Value is string ns ? ns : string.Empty;
        bool nested = true;
        string? typeNames = null;
        foreach (KeyValuePair<string, TypedConstant> named in rule.NamedArguments)
        {
            if (named.Key == "IncludeSubnamespaces" && named.Value.Value is bool b)
            {
                nested = b;
            }
            else if (named.Key == "TypeNames" && named.Value.Value is string t)
            {
                typeNames = t;
            }
        }

        string actual = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        if (!(wanted.Length == 0 || actual == wanted || (nested && actual.StartsWith(wanted + ".", StringComparison.Ordinal))))
        {
            return false;
        }

        if (string.IsNullOrEmpty(typeNames))
        {
            return true;
        }

        foreach (string pattern in typeNames!.Split(';'))
        {
            string p = pattern.Trim();
            if (p.Length > 0 && Wildcard(p, 0, type.Name, 0))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Wildcard(string pattern, int p, string name, int n)
    {
        while (p < pattern.Length)
        {
            if (pattern[p] == '*')
            {
                for (int k = n; k <= name.Length; k++)
                {
                    if (Wildcard(pattern, p + 1, name, k))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (n >= name.Length || pattern[p] != name[n])
            {
                return false;
            }

            p++;
            n++;
        }

        return n == name.Length;
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
