using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using OtelGen.Analyzers.SemConv;

namespace OtelGen.Analyzers;

/// <summary>
/// Checks every constant attribute key written in code against the semantic-conventions registry: in
/// <c>[Tag]</c>, <c>ReturnTag</c> of <c>[Traced]</c>/<c>[Effect]</c>, OtelGen's manual span API, and
/// <c>Activity.SetTag</c>/<c>AddTag</c>, <c>TagList</c> and metric tags. Work is per operation or symbol; the only
/// compilation-wide step (keys that are namespaces of other application keys) runs at compilation end.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SemanticConventionsAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.DeprecatedRenamed,
        Descriptors.DeprecatedNoReplacement,
        Descriptors.InvalidKeyName,
        Descriptors.UnknownKey,
        Descriptors.ValueTypeMismatch,
        Descriptors.EnumValueNotListed,
        Descriptors.ReservedOtelKey,
        Descriptors.ReusesSemConvNamespace,
        Descriptors.KeyIsSemConvNamespace,
        Descriptors.KeyIsNamespaceOfAnotherKey);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var sinks = new KeySinks(start.Compilation);
            var attributes = new OtelGenAttributes(start.Compilation);
            var applicationKeys = new ConcurrentBag<(string Key, Location Location)>();

            start.RegisterOperationAction(
                c =>
                {
                    IMethodSymbol? method;
                    ImmutableArray<IArgumentOperation> arguments;
                    if (c.Operation is IInvocationOperation invocation)
                    {
                        method = invocation.TargetMethod;
                        arguments = invocation.Arguments;
                    }
                    else
                    {
                        var creation = (IObjectCreationOperation)c.Operation;
                        method = creation.Constructor;
                        arguments = creation.Arguments;
                    }

                    if (method is null || arguments.IsDefaultOrEmpty)
                    {
                        return;
                    }

                    if (sinks.TryFind(c.Operation, method, arguments, out IArgumentOperation? key, out IArgumentOperation? value)
                        && KeySinks.TryRead(key!, value, out KeyWrite write))
                    {
                        Check(write, c.ReportDiagnostic, applicationKeys);
                    }
                },
                OperationKind.Invocation,
                OperationKind.ObjectCreation);

            if (attributes.Traced is not null)
            {
                start.RegisterSymbolAction(c => CheckAttributeKeys(c, attributes, applicationKeys), SymbolKind.Method, SymbolKind.NamedType);
            }

            start.RegisterCompilationEndAction(c => ReportNamespaceCollisions(c, applicationKeys));
        });
    }

    private static void CheckAttributeKeys(SymbolAnalysisContext context, OtelGenAttributes known, ConcurrentBag<(string, Location)> applicationKeys)
    {
        ISymbol symbol = context.Symbol;
        Location fallback = symbol.Locations.FirstOrDefault() ?? Location.None;
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (!known.IsTracedOrEffect(attribute.AttributeClass))
            {
                continue;
            }

            foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            {
                if (named.Key == "ReturnTag" && named.Value.Value is string key)
                {
                    ValueKind kind = symbol is IMethodSymbol m ? ValueKinds.Of(OtelGenAttributes.UnwrapTask(m.ReturnType)) : ValueKind.Unknown;
                    Location location = KeySinks.ArgumentLocation(attribute, null, "ReturnTag", fallback) ?? fallback;
                    Check(new KeyWrite(key, location, kind, null, false), context.ReportDiagnostic, applicationKeys);
                }
            }
        }

        if (symbol is not IMethodSymbol method)
        {
            return;
        }

        foreach (IParameterSymbol parameter in method.Parameters)
        {
            foreach (AttributeData attribute in parameter.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, known.Tag)
                    || attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string key)
                {
                    continue;
                }

                bool useToString = attribute.NamedArguments.Any(a => a.Key == "UseToString" && a.Value.Value is true);
                ValueKind kind = useToString ? ValueKind.String : ValueKinds.Of(parameter.Type);
                Location location = KeySinks.ArgumentLocation(attribute, 0, null, fallback) ?? fallback;
                Check(new KeyWrite(key, location, kind, null, false), context.ReportDiagnostic, applicationKeys);
            }
        }
    }

    /// <summary>Runs the registry rules on one key; the first rule that fires decides (one diagnostic per key).</summary>
    internal static void Check(in KeyWrite write, Action<Diagnostic> report, ConcurrentBag<(string, Location)>? applicationKeys)
    {
        SemConvRegistry registry = SemConvRegistry.Instance;
        string key = write.Key;

        if (registry.TryGet(key, out SemConvAttribute attribute))
        {
            if (attribute.IsDeprecated)
            {
                string? replacement = registry.FinalReplacement(attribute);
                report(replacement is not null
                    ? Diagnostic.Create(Descriptors.DeprecatedRenamed, write.Location, Replace(replacement), key, SemConvRegistry.Version, replacement)
                    : Diagnostic.Create(Descriptors.DeprecatedNoReplacement, write.Location, key, SemConvRegistry.Version, attribute.DeprecatedReason));
                return;
            }

            CheckValue(write, attribute, report);
            return;
        }

        if (registry.MatchTemplate(key) is { } template)
        {
            // Template keys take any suffix (header names keep their dashes).
            CheckValue(write, template, report);
            return;
        }

        if (!KeyNaming.IsValid(key))
        {
            string? snake = KeyNaming.ToSnakeCase(key);
            report(Diagnostic.Create(
                Descriptors.InvalidKeyName,
                write.Location,
                snake is null ? null : Replace(snake),
                key,
                KeyNaming.Problem(key),
                snake is null ? string.Empty : ": use '" + snake + "'"));
            return;
        }

        if (key == "otel" || key.StartsWith("otel.", StringComparison.Ordinal))
        {
            report(Diagnostic.Create(Descriptors.ReservedOtelKey, write.Location, key));
            return;
        }

        if (registry.IsNamespace(key, out string example))
        {
            report(Diagnostic.Create(Descriptors.KeyIsSemConvNamespace, write.Location, key, example));
            return;
        }

        if (registry.IsSemConvRoot(key, out string root))
        {
            string? nearest = registry.Nearest(key);
            report(nearest is not null
                ? Diagnostic.Create(Descriptors.UnknownKey, write.Location, Replace(nearest), key, SemConvRegistry.Version, nearest)
                : Diagnostic.Create(Descriptors.ReusesSemConvNamespace, write.Location, key, root));
            return;
        }

        applicationKeys?.Add((key, write.Location));
    }

    private static void CheckValue(in KeyWrite write, SemConvAttribute attribute, Action<Diagnostic> report)
    {
        if (write.ValueKind != ValueKind.Unknown && attribute.Kind != ValueKind.Unknown && write.ValueKind != attribute.Kind)
        {
            report(Diagnostic.Create(
                Descriptors.ValueTypeMismatch, write.Location, write.Key, ValueKinds.DescribeRegistryType(attribute), ValueKinds.Describe(write.ValueKind)));
            return;
        }

        // An enum whose only member is _OTHER (error.type) lists no values to compare with.
        if (attribute.EnumValues.Length == 0 || !write.HasConstant || (attribute.EnumValues.Length == 1 && attribute.EnumValues[0] == "_OTHER"))
        {
            return;
        }

        string? text = write.ConstantValue switch
        {
            string s => s,
            int or long or short or byte or sbyte or ushort or uint or ulong => Convert.ToString(write.ConstantValue, CultureInfo.InvariantCulture),
            _ => null,
        };
        if (text is not null && Array.IndexOf(attribute.EnumValues, text) < 0)
        {
            report(Diagnostic.Create(Descriptors.EnumValueNotListed, write.Location, text, write.Key, string.Join(", ", attribute.EnumValues)));
        }
    }

    private static ImmutableDictionary<string, string?> Replace(string text) =>
        ImmutableDictionary<string, string?>.Empty.Add(Descriptors.ReplacementProperty, text);

    private static void ReportNamespaceCollisions(CompilationAnalysisContext context, ConcurrentBag<(string Key, Location Location)> applicationKeys)
    {
        if (applicationKeys.IsEmpty)
        {
            return;
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string key, _) in applicationKeys)
        {
            keys.Add(key);
        }

        // For each key that is a dotted prefix of another, remember one longer key to name in the message.
        var namespaces = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            for (int dot = key.IndexOf('.'); dot > 0; dot = key.IndexOf('.', dot + 1))
            {
                string prefix = key.Substring(0, dot);
                if (keys.Contains(prefix) && !namespaces.ContainsKey(prefix))
                {
                    namespaces[prefix] = key;
                }
            }
        }

        if (namespaces.Count == 0)
        {
            return;
        }

        foreach ((string key, Location location) in applicationKeys)
        {
            if (namespaces.TryGetValue(key, out string? longer))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.KeyIsNamespaceOfAnotherKey, location, key, longer));
            }
        }
    }
}
