using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

/// <summary>
/// The names of every method a rule may instrument: in source, and in referenced assemblies built against
/// OtelGen. A call can only bind to an instrumented method if it is written with one of these names, so the
/// binding step skips every other call without asking the semantic model. A superset is fine (the binding
/// decides); a missing name would lose interceptors, so the wide rules count every ordinary method of the types
/// they cover (the binding applies the finer conditions: public, not Main, not an object override). Computed only when the project's declaration shape changes: the names are declarations too.
/// </summary>
internal sealed class TracedNames : IEquatable<TracedNames>
{
    public static readonly TracedNames None = new(Array.Empty<string>());

    private readonly EquatableArray<string> _sorted;
    private readonly HashSet<string> _set;

    private TracedNames(string[] sorted)
    {
        _sorted = new EquatableArray<string>(sorted);
        _set = new HashSet<string>(sorted, StringComparer.Ordinal);
    }

    public bool Contains(string name) => _set.Contains(name);

    /// <summary>The names among <paramref name="referenced"/> (sorted, as a file's shape keeps them): what one file can call.</summary>
    public TracedNames Within(EquatableArray<string> referenced)
    {
        List<string>? found = null;
        foreach (string name in referenced)
        {
            if (_set.Contains(name))
            {
                (found ??= new List<string>()).Add(name);
            }
        }
        return found is null ? None : new TracedNames(found.ToArray());
    }

    public bool Equals(TracedNames? other) => other is not null && _sorted.Equals(other._sorted);

    public override bool Equals(object? obj) => Equals(obj as TracedNames);

    public override int GetHashCode() => _sorted.GetHashCode();

    public static TracedNames Of(Compilation compilation, CancellationToken cancellationToken)
    {
        if (compilation.GetTypeByMetadataName(Parser.TracedAttribute) is not { } traced)
        {
            return None;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        AttributeData[] namespaceRules = compilation.Assembly.GetAttributes().Where(a => Parser.IsOtelGenAttribute(a, "TracedNamespaceAttribute")).ToArray();
        AddTypes(compilation.Assembly.GlobalNamespace, namespaceRules, names, cancellationToken);
        // Only assemblies compiled against OtelGen can carry its attributes (the BCL is skipped without a look).
        string runtime = traced.ContainingAssembly.Name;
        foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (SymbolEqualityComparer.Default.Equals(assembly, traced.ContainingAssembly)
                || assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == runtime)))
            {
                AddTypes(assembly.GlobalNamespace, Array.Empty<AttributeData>(), names, cancellationToken);
            }
        }
        string[] sorted = names.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return new TracedNames(sorted);
    }

    private static void AddTypes(INamespaceSymbol ns, AttributeData[] namespaceRules, HashSet<string> names, CancellationToken cancellationToken)
    {
        foreach (INamespaceSymbol inner in ns.GetNamespaceMembers())
        {
            AddTypes(inner, namespaceRules, names, cancellationToken);
        }
        foreach (INamedTypeSymbol type in ns.GetTypeMembers())
        {
            AddType(type, namespaceRules, names, cancellationToken);
        }
    }

    private static void AddType(INamedTypeSymbol type, AttributeData[] namespaceRules, HashSet<string> names, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        bool wide = Parser.Find(type.GetAttributes(), "TracedAttribute") is not null || namespaceRules.Any(rule => Parser.NamespaceRuleMatches(rule, type));
        foreach (ISymbol member in type.GetMembers())
        {
            if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } method && !names.Contains(method.Name) && (wide || IsExplicit(method)))
            {
                names.Add(method.Name);
            }
        }
        foreach (INamedTypeSymbol nested in type.GetTypeMembers())
        {
            AddType(nested, namespaceRules, names, cancellationToken);
        }
    }

    private static bool IsExplicit(IMethodSymbol method)
    {
        foreach (AttributeData attribute in method.GetAttributes())
        {
            if (Parser.IsOtelGenAttribute(attribute, "TracedAttribute") || Parser.IsOtelGenAttribute(attribute, "EffectAttribute"))
            {
                return true;
            }
        }
        return false;
    }
}
