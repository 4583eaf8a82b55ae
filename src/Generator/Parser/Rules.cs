using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace OtelGen.Generator;

// Shared: this file is compiled into the generator and, linked, into OtelGen.Analyzers, so that the generator
// and the analyzers apply one rule for which methods are instrumented.
internal static partial class Parser
{
    // Which methods are instrumented.

    /// <summary>What instruments a method: an explicit attribute on it (or on a method it overrides), or a wide rule (its type, its assembly).</summary>
    internal sealed class Rule
    {
        public AttributeData? Traced;
        public AttributeData? Effect;
        public int WideKind = InternalKind;

        /// <summary>An attribute instruments the method (its own or its base's), not a rule on its type or assembly.</summary>
        public bool IsExplicit => Traced is not null || Effect is not null;
    }

    internal static bool IsOtelGenAttribute(AttributeData attribute, string name) =>
        attribute.AttributeClass is { } type
        && type.Name == name
        && type.ContainingNamespace is { Name: "OtelGen", ContainingNamespace.IsGlobalNamespace: true };

    internal static AttributeData? Find(ImmutableArray<AttributeData> attributes, string name)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (IsOtelGenAttribute(attribute, name))
            {
                return attribute;
            }
        }
        return null;
    }

    private static ImmutableArray<AttributeData> AttributesOf(ISymbol symbol) => symbol.GetAttributes();

    /// <summary>
    /// The rule that instruments <paramref name="method"/>, or null. Precedence: <c>[NoTrace]</c> on the method,
    /// then an explicit <c>[Effect]</c>/<c>[Traced]</c> on it, then the nearest of those on a method it overrides
    /// (an override called through its own type is traced like the base), then <c>[NoTrace]</c> on its type, then
    /// <c>[Traced]</c> on its type, then <c>[assembly: TracedNamespace]</c>.
    /// </summary>
    internal static Rule? FindRule(IMethodSymbol method, Compilation compilation)
    {
        if (method.MethodKind != MethodKind.Ordinary)
        {
            return null;
        }
        if (OwnRule(method, out Rule? own))
        {
            return own;
        }
        for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (OwnRule(overridden, out Rule? inherited))
            {
                return inherited;
            }
        }
        INamedTypeSymbol type = method.ContainingType;
        ImmutableArray<AttributeData> typeAttributes = AttributesOf(type);
        if (Find(typeAttributes, "NoTraceAttribute") is not null || !IsWideCandidate(method))
        {
            return null;
        }
        if (Find(typeAttributes, "TracedAttribute") is { } typeTraced)
        {
            return new Rule { WideKind = NamedInt(typeTraced, "Kind", InternalKind) };
        }
        if (SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly))
        {
            foreach (AttributeData attribute in compilation.Assembly.GetAttributes())
            {
                if (IsOtelGenAttribute(attribute, "TracedNamespaceAttribute") && NamespaceRuleMatches(attribute, type))
                {
                    return new Rule();
                }
            }
        }
        return null;
    }

    /// <summary>Whether the method's own attributes decide (true): <c>[NoTrace]</c> (no rule), <c>[Effect]</c> or <c>[Traced]</c>.</summary>
    private static bool OwnRule(IMethodSymbol method, out Rule? rule)
    {
        ImmutableArray<AttributeData> own = AttributesOf(method);
        rule = null;
        if (Find(own, "NoTraceAttribute") is not null)
        {
            return true;
        }
        if (Find(own, "EffectAttribute") is { } effect)
        {
            rule = new Rule { Effect = effect };
            return true;
        }
        if (Find(own, "TracedAttribute") is { } traced)
        {
            rule = new Rule { Traced = traced };
            return true;
        }
        return false;
    }

    /// <summary>Which methods a wide rule (type or assembly) covers: public, ordinary, written by the user.</summary>
    private static bool IsWideCandidate(IMethodSymbol method)
    {
        if (method.DeclaredAccessibility != Accessibility.Public || method.IsImplicitlyDeclared)
        {
            return false;
        }
        if (method.IsStatic && method.Name == "Main")
        {
            return false;
        }
        // ToString/Equals/GetHashCode overrides run in string formatting and collections: too noisy to trace by default.
        for (IMethodSymbol? overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (overridden.ContainingType.SpecialType == SpecialType.System_Object)
            {
                return false;
            }
        }
        return true;
    }

    internal static bool NamespaceRuleMatches(AttributeData attribute, INamedTypeSymbol type)
    {
        string wanted = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string ns ? ns : string.Empty;
        bool includeNested = NamedBool(attribute, "IncludeSubnamespaces", true);
        string? typeFilter = NamedString(attribute, "TypeNames");
        string actual = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        bool namespaceMatches = wanted.Length == 0
            || actual == wanted
            || (includeNested && actual.StartsWith(wanted + ".", StringComparison.Ordinal));
        if (!namespaceMatches)
        {
            return false;
        }
        if (string.IsNullOrEmpty(typeFilter))
        {
            return true;
        }
        foreach (string pattern in typeFilter!.Split(';'))
        {
            if (pattern.Trim() is { Length: > 0 } p && Wildcard(p, type.Name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Matches a name against a pattern where <c>*</c> stands for any run of characters.</summary>
    internal static bool Wildcard(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (p < pattern.Length && pattern[p] == name[n])
            {
                p++;
                n++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
