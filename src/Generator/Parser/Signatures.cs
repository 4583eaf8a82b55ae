using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using OtelGen.Generator.Model;

namespace OtelGen.Generator;

/// <summary>
/// What the interceptor's signature needs besides types and names: the attributes it repeats from the
/// original (so the compiler sees the same nullable flow and trimming requirements) and the diagnostic ids
/// that forwarding the call would raise in generated code although the user's own call does not.
/// </summary>
internal static class Signatures
{
    private const string CodeAnalysis = "System.Diagnostics.CodeAnalysis";

    /// <summary>Nullable-flow and ref-safety attributes: without them the interceptor's signature differs (CS9159) or its body warns.</summary>
    public static readonly string[] ParameterAttributes =
    {
        "AllowNullAttribute", "DisallowNullAttribute", "MaybeNullAttribute", "NotNullAttribute", "MaybeNullWhenAttribute",
        "NotNullWhenAttribute", "NotNullIfNotNullAttribute", "DoesNotReturnIfAttribute", "UnscopedRefAttribute",
    };

    public static readonly string[] ReturnAttributes = { "MaybeNullAttribute", "NotNullAttribute", "NotNullIfNotNullAttribute" };

    /// <summary>A method that requires these makes its callers require them too (IL2026, IL3050, IL3002 otherwise).</summary>
    public static readonly string[] MethodAttributes =
    {
        "RequiresUnreferencedCodeAttribute", "RequiresDynamicCodeAttribute", "RequiresAssemblyFilesAttribute", "DoesNotReturnAttribute",
    };

    /// <summary>The attributes of <paramref name="attributes"/> named in <paramref name="names"/> (System.Diagnostics.CodeAnalysis), as C# text.</summary>
    public static EquatableArray<string> RepeatedAttributes(ImmutableArray<AttributeData> attributes, string[] names)
    {
        List<string>? texts = null;
        foreach (AttributeData attribute in attributes)
        {
            if (attribute.AttributeClass is { } type
                && Array.IndexOf(names, type.Name) >= 0
                && type.ContainingNamespace?.ToDisplayString() == CodeAnalysis
                && Text(attribute) is { } text)
            {
                (texts ??= new List<string>()).Add(text);
            }
        }
        return texts is null ? EquatableArray<string>.Empty : new EquatableArray<string>(texts);
    }

    /// <summary>
    /// Ids of <c>[Obsolete(DiagnosticId = ...)]</c> and <c>[Experimental(id)]</c> on the method, the types it is
    /// declared in, the types of its signature and its assembly: calling or naming them in generated code would
    /// raise them there, where the user cannot suppress them (their own call site can, and is still checked).
    /// </summary>
    public static EquatableArray<string> SuppressedIds(IMethodSymbol method)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        void Add(ISymbol? symbol)
        {
            if (symbol is null || !seen.Add(symbol))
            {
                return;
            }
            foreach (AttributeData attribute in symbol.GetAttributes())
            {
                string? id = attribute.AttributeClass?.ToDisplayString() switch
                {
                    "System.ObsoleteAttribute" => attribute.NamedArguments.FirstOrDefault(a => a.Key == "DiagnosticId").Value.Value as string,
                    "System.Diagnostics.CodeAnalysis.ExperimentalAttribute" => attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string : null,
                    _ => null,
                };
                if (!string.IsNullOrWhiteSpace(id))
                {
                    ids.Add(id!.Trim());
                }
            }
        }
        void AddType(ITypeSymbol? type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    AddType(array.ElementType);
                    break;
                case IPointerTypeSymbol pointer:
                    AddType(pointer.PointedAtType);
                    break;
                case INamedTypeSymbol named:
                    for (INamedTypeSymbol? t = named; t is not null; t = t.ContainingType)
                    {
                        if (!seen.Contains(t.OriginalDefinition))
                        {
                            Add(t.OriginalDefinition);
                            foreach (ITypeSymbol argument in t.TypeArguments)
                            {
                                AddType(argument);
                            }
                        }
                    }
                    Add(named.ContainingAssembly);
                    Add(named.ContainingModule);
                    break;
            }
        }
        Add(method);
        AddType(method.ContainingType);
        AddType(method.ReturnType);
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            AddType(parameter.Type);
        }
        Add(method.ContainingAssembly);
        Add(method.ContainingModule);
        return ids.Count == 0 ? EquatableArray<string>.Empty : new EquatableArray<string>(ids.ToArray());
    }

    /// <summary>An attribute as C# text, or null when an argument has a shape this does not write.</summary>
    private static string? Text(AttributeData attribute)
    {
        var arguments = new List<string>();
        foreach (TypedConstant argument in attribute.ConstructorArguments)
        {
            if (Constant(argument) is not { } text)
            {
                return null;
            }
            arguments.Add(text);
        }
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            if (Constant(named.Value) is not { } text)
            {
                return null;
            }
            arguments.Add(named.Key + " = " + text);
        }
        string name = attribute.AttributeClass!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        return "[" + name + (arguments.Count == 0 ? string.Empty : "(" + string.Join(", ", arguments) + ")") + "]";
    }

    private static string? Constant(TypedConstant constant)
    {
        if (constant.IsNull)
        {
            return "null";
        }
        switch (constant.Kind)
        {
            case TypedConstantKind.Array:
                var elements = new List<string>();
                foreach (TypedConstant element in constant.Values)
                {
                    if (Constant(element) is not { } text)
                    {
                        return null;
                    }
                    elements.Add(text);
                }
                return "new " + constant.Type!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + " { " + string.Join(", ", elements) + " }";
            case TypedConstantKind.Primitive:
                return constant.Value switch
                {
                    string s => Emitter.Literal(s),
                    bool b => b ? "true" : "false",
                    char c => "'\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) + "'",
                    IFormattable number => "(" + constant.Type!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ")(" + number.ToString(null, CultureInfo.InvariantCulture) + ")",
                    _ => null,
                };
            case TypedConstantKind.Enum:
                return "(" + constant.Type!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ")(" + Convert.ToString(constant.Value, CultureInfo.InvariantCulture) + ")";
            case TypedConstantKind.Type:
                return constant.Value is ITypeSymbol type ? "typeof(" + type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ")" : null;
            default:
                return null;
        }
    }
}

/// <summary>
/// Writes types as the interceptor names them: fully qualified, with the interceptor's own names for type
/// parameters. Those are the declared names unless two repeat (<c>Outer&lt;T&gt;.Inner&lt;T&gt;</c>): then
/// later ones get a suffix, and types are written out part by part so that each <c>T</c> is the right one.
/// </summary>
internal sealed class TypeText
{
    private static readonly SymbolDisplayFormat s_format = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private readonly Dictionary<ITypeParameterSymbol, string> _names = new(SymbolEqualityComparer.Default);
    private readonly bool _renamed;

    public TypeText(IEnumerable<ITypeParameterSymbol> parameters)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (ITypeParameterSymbol parameter in parameters)
        {
            string name = parameter.Name;
            for (int i = 2; !used.Add(name); i++)
            {
                name = parameter.Name + "_" + i.ToString(CultureInfo.InvariantCulture);
                _renamed = true;
            }
            _names[parameter] = name;
        }
    }

    public string NameOf(ITypeParameterSymbol parameter) =>
        _names.TryGetValue(parameter.OriginalDefinition, out string? name) || _names.TryGetValue(parameter, out name) ? name : parameter.Name;

    public string Of(ITypeSymbol type) => _renamed ? Write(type) : type.ToDisplayString(s_format);

    private string Write(ITypeSymbol type)
    {
        string annotation = type.NullableAnnotation == NullableAnnotation.Annotated && !type.IsValueType ? "?" : string.Empty;
        switch (type)
        {
            case ITypeParameterSymbol parameter:
                return NameOf(parameter) + annotation;
            case IArrayTypeSymbol array:
                return Write(array.ElementType) + "[" + new string(',', array.Rank - 1) + "]" + annotation;
            case IPointerTypeSymbol pointer:
                return Write(pointer.PointedAtType) + "*";
            case INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable:
                return Write(nullable.TypeArguments[0]) + "?";
            case INamedTypeSymbol { IsTupleType: true } tuple:
                return "(" + string.Join(", ", tuple.TupleElements.Select(e => Write(e.Type) + (SymbolEqualityComparer.Default.Equals(e, e.CorrespondingTupleField) ? string.Empty : " " + e.Name))) + ")" + annotation;
            case INamedTypeSymbol named when IsGeneric(named):
                string prefix = named.ContainingType is { } outer
                    ? WithoutAnnotation(outer) + "."
                    : named.ContainingNamespace is { IsGlobalNamespace: false } ns ? "global::" + ns.ToDisplayString() + "." : "global::";
                string arguments = named.TypeArguments.Length == 0 ? string.Empty : "<" + string.Join(", ", named.TypeArguments.Select(Write)) + ">";
                return prefix + named.Name + arguments + annotation;
            default:
                return type.ToDisplayString(s_format);
        }
    }

    private string WithoutAnnotation(INamedTypeSymbol type) => Write(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated));

    private static bool IsGeneric(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.TypeArguments.Length > 0)
            {
                return true;
            }
        }
        return false;
    }
}
