using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using OtelGen.Analyzers.SemConv;

namespace OtelGen.Analyzers;

/// <summary>One constant attribute key written somewhere, with what is known about its value.</summary>
internal readonly struct KeyWrite
{
    public KeyWrite(string key, Location location, ValueKind valueKind, object? constantValue, bool hasConstant)
    {
        Key = key;
        Location = location;
        ValueKind = valueKind;
        ConstantValue = constantValue;
        HasConstant = hasConstant;
    }

    public string Key { get; }

    /// <summary>Where the key is written (the string literal when it is one, which the code fixes rewrite).</summary>
    public Location Location { get; }

    public ValueKind ValueKind { get; }

    public object? ConstantValue { get; }

    public bool HasConstant { get; }
}

/// <summary>
/// The well-known types that take attribute keys, resolved once per compilation, and the rules that find the
/// key (and value) arguments in a call or object creation.
/// </summary>
internal sealed class KeySinks
{
    private readonly INamedTypeSymbol? _activity;
    private readonly INamedTypeSymbol? _tagList;
    private readonly INamedTypeSymbol? _tagsCollection;
    private readonly INamedTypeSymbol? _keyValuePair;
    private readonly INamedTypeSymbol? _keyValuePairStatic;
    private readonly IAssemblySymbol _self;

    public KeySinks(Compilation compilation)
    {
        _self = compilation.Assembly;
        _activity = compilation.GetTypeByMetadataName("System.Diagnostics.Activity");
        _tagList = compilation.GetTypeByMetadataName("System.Diagnostics.TagList");
        _tagsCollection = compilation.GetTypeByMetadataName("System.Diagnostics.ActivityTagsCollection");
        _keyValuePair = compilation.GetTypeByMetadataName("System.Collections.Generic.KeyValuePair`2");
        _keyValuePairStatic = compilation.GetTypeByMetadataName("System.Collections.Generic.KeyValuePair");
    }

    /// <summary>Finds the key argument (and its value argument) of a call or creation, if it writes an attribute key.</summary>
    public bool TryFind(IOperation operation, IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, out IArgumentOperation? key, out IArgumentOperation? value)
    {
        key = null;
        value = null;
        INamedTypeSymbol? type = method.ContainingType;
        if (type is null)
        {
            return false;
        }

        if (IsOtelGenApi(type))
        {
            // Attribute constructors ([Tag("key")]) are checked with their symbol, where the parameter type is known.
            if (IsAttribute(type))
            {
                return false;
            }

            return FindOtelGenKey(method, arguments, out key, out value);
        }

        if (SymbolEqualityComparer.Default.Equals(type, _activity))
        {
            // Tags only: baggage keys follow other rules.
            return method.Name is "SetTag" or "AddTag" && Positional(arguments, out key, out value);
        }

        if (SymbolEqualityComparer.Default.Equals(type, _tagList) || SymbolEqualityComparer.Default.Equals(type, _tagsCollection))
        {
            return method.Name == "Add" && method.Parameters.Length == 2 && method.Parameters[0].Type.SpecialType == SpecialType.System_String
                && Positional(arguments, out key, out value);
        }

        bool pair = method.MethodKind == MethodKind.Constructor && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _keyValuePair)
            || method.Name == "Create" && SymbolEqualityComparer.Default.Equals(type, _keyValuePairStatic);
        if (pair && method.Parameters.Length == 2 && method.Parameters[0].Type.SpecialType == SpecialType.System_String && FlowsIntoTagSink(operation, _self))
        {
            return Positional(arguments, out key, out value);
        }

        return false;
    }

    private static bool Positional(ImmutableArray<IArgumentOperation> arguments, out IArgumentOperation? key, out IArgumentOperation? value)
    {
        key = null;
        value = null;
        foreach (IArgumentOperation a in arguments)
        {
            if (a.Parameter?.Ordinal == 0)
            {
                key = a;
            }
            else if (a.Parameter?.Ordinal == 1)
            {
                value = a;
            }
        }

        return key is not null;
    }

    private static bool FindOtelGenKey(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, out IArgumentOperation? key, out IArgumentOperation? value)
    {
        key = null;
        value = null;
        string typeName = method.ContainingType.Name;

        // Baggage, propagation headers and environment settings take keys that are not span attribute keys.
        if (NotAttributeKeys(typeName) || NotAttributeKeys(method.Name) || IsRead(method.Name))
        {
            return false;
        }

        bool firstStringIsKey = method.Name is "SetAttribute" or "SetTag" or "AddTag" or "Add";
        IParameterSymbol? keyParameter = null;
        foreach (IParameterSymbol p in method.Parameters)
        {
            if (p.Type.SpecialType != SpecialType.System_String)
            {
                continue;
            }

            if (p.Name == "key" || firstStringIsKey)
            {
                keyParameter = p;
                break;
            }
        }

        if (keyParameter is null)
        {
            return false;
        }

        IParameterSymbol? valueParameter = null;
        foreach (IParameterSymbol p in method.Parameters)
        {
            if (p.Name == "value")
            {
                valueParameter = p;
            }
        }

        valueParameter ??= keyParameter.Ordinal + 1 < method.Parameters.Length ? method.Parameters[keyParameter.Ordinal + 1] : null;
        foreach (IArgumentOperation a in arguments)
        {
            if (SymbolEqualityComparer.Default.Equals(a.Parameter, keyParameter))
            {
                key = a;
            }
            else if (valueParameter is not null && SymbolEqualityComparer.Default.Equals(a.Parameter, valueParameter))
            {
                value = a;
            }
        }

        return key is not null;
    }

    // Reading an attribute back (TryGetAttribute("x", out v)) is not writing a key.
    private static bool IsRead(string name) =>
        name.StartsWith("Get", StringComparison.Ordinal) || name.StartsWith("TryGet", StringComparison.Ordinal)
        || name.StartsWith("Contains", StringComparison.Ordinal) || name.StartsWith("Remove", StringComparison.Ordinal)
        || name.StartsWith("Has", StringComparison.Ordinal);

    private static bool NotAttributeKeys(string name) =>
        name.IndexOf("Baggage", StringComparison.Ordinal) >= 0 || name.IndexOf("Environment", StringComparison.Ordinal) >= 0
        || name.IndexOf("Settings", StringComparison.Ordinal) >= 0 || name.IndexOf("Header", StringComparison.Ordinal) >= 0
        || name.IndexOf("Propagat", StringComparison.Ordinal) >= 0 || name.IndexOf("Carrier", StringComparison.Ordinal) >= 0;

    private static bool IsAttribute(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.Name == "Attribute" && t.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A type of the OtelGen libraries (assembly OtelGen or OtelGen.*, namespace OtelGen or nested), referenced
    /// by this compilation, not one of its own: a test project's helpers in namespace OtelGen.Tests are not API.
    /// </summary>
    private bool IsOtelGenApi(INamedTypeSymbol type) => IsOtelGenApi(type, _self);

    private static bool IsOtelGenApi(INamedTypeSymbol type, IAssemblySymbol self)
    {
        IAssemblySymbol? assembly = type.ContainingAssembly;
        return assembly is not null
            && !SymbolEqualityComparer.Default.Equals(assembly, self)
            && (assembly.Name == "OtelGen" || assembly.Name.StartsWith("OtelGen.", StringComparison.Ordinal))
            && IsOtelGen(type);
    }

    public static bool IsOtelGen(INamedTypeSymbol type)
    {
        INamespaceSymbol? ns = type.ContainingNamespace;
        while (ns is { IsGlobalNamespace: false })
        {
            if (ns.ContainingNamespace is { IsGlobalNamespace: true })
            {
                return ns.Name == "OtelGen";
            }

            ns = ns.ContainingNamespace;
        }

        return false;
    }

    /// <summary>
    /// A <c>KeyValuePair&lt;string, T&gt;</c> is a tag only when it goes straight into a call of System.Diagnostics
    /// (Activity, TagList, metric instruments) or OtelGen: as an argument, a params element or a collection element.
    /// </summary>
    private static bool FlowsIntoTagSink(IOperation operation, IAssemblySymbol self)
    {
        IOperation? current = operation.Parent;
        for (int depth = 0; current is not null && depth < 8; depth++, current = current.Parent)
        {
            switch (current)
            {
                case IInvocationOperation invocation:
                    return IsTagSinkType(invocation.TargetMethod.ContainingType, self);
                case IObjectCreationOperation creation:
                    return IsTagSinkType(creation.Type as INamedTypeSymbol, self);
                case IConversionOperation or IArgumentOperation or IArrayInitializerOperation or IArrayCreationOperation
                    or ICollectionExpressionOperation or IObjectOrCollectionInitializerOperation or ISpreadOperation:
                    continue;
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool IsTagSinkType(INamedTypeSymbol? type, IAssemblySymbol self)
    {
        if (type is null)
        {
            return false;
        }

        if (IsOtelGenApi(type, self))
        {
            return true;
        }

        string? ns = type.ContainingNamespace?.ToDisplayString();
        return ns is "System.Diagnostics" or "System.Diagnostics.Metrics";
    }

    /// <summary>The constant key of an argument and the kind of its value, or false if the key is not constant.</summary>
    public static bool TryRead(IArgumentOperation key, IArgumentOperation? value, out KeyWrite write)
    {
        write = default;
        if (key.Value.ConstantValue is not { HasValue: true, Value: string text })
        {
            return false;
        }

        ValueKind kind = ValueKind.Unknown;
        object? constant = null;
        bool hasConstant = false;
        if (value is not null && !value.IsImplicit)
        {
            IOperation v = value.Value;
            while (v is IConversionOperation { IsImplicit: true } c)
            {
                v = c.Operand;
            }

            kind = ValueKinds.Of(v.Type);
            if (v.ConstantValue.HasValue && v.ConstantValue.Value is not null)
            {
                constant = v.ConstantValue.Value;
                hasConstant = true;
            }
        }

        write = new KeyWrite(text, key.Value.Syntax.GetLocation(), kind, constant, hasConstant);
        return true;
    }

    /// <summary>The location of an attribute's constructor argument (index) or named argument (name).</summary>
    public static Location? ArgumentLocation(AttributeData attribute, int? index, string? name, Location fallback)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax() is not AttributeSyntax syntax || syntax.ArgumentList is null)
        {
            return fallback;
        }

        int positional = 0;
        foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
        {
            if (argument.NameEquals is not null)
            {
                if (name is not null && argument.NameEquals.Name.Identifier.ValueText == name)
                {
                    return argument.Expression.GetLocation();
                }

                continue;
            }

            if (index == positional)
            {
                return argument.Expression.GetLocation();
            }

            positional++;
        }

        return syntax.GetLocation();
    }
}
