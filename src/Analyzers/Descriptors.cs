using Microsoft.CodeAnalysis;

namespace OtelGen.Analyzers;

/// <summary>Every diagnostic the OtelGen analyzers report. OTG2xxx: semantic conventions; OTG3xxx: instrumentation honesty.</summary>
internal static class Descriptors
{
    public const string SemConvCategory = "OtelGen.SemanticConventions";
    public const string CoverageCategory = "OtelGen.Instrumentation";

    /// <summary>Diagnostic property holding the text a code fix writes in place of the flagged string literal.</summary>
    public const string ReplacementProperty = "Replacement";

    private static string Help(string id) => "https://github.com/otelgen/otelgen/blob/main/docs/diagnostics/" + id + ".md";

    private static DiagnosticDescriptor Make(string id, string title, string message, string category, DiagnosticSeverity severity, params string[] tags) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, description: null, helpLinkUri: Help(id), customTags: tags);

    public static readonly DiagnosticDescriptor DeprecatedRenamed = Make(
        "OTG2001", "Deprecated semantic-conventions key",
        "'{0}' is deprecated in semantic conventions v{1}: use '{2}'",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor DeprecatedNoReplacement = Make(
        "OTG2002", "Deprecated semantic-conventions key without a replacement",
        "'{0}' is deprecated in semantic conventions v{1} ({2}) and has no replacement key",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor InvalidKeyName = Make(
        "OTG2003", "Attribute key breaks the naming rules",
        "Attribute key '{0}' breaks the semantic-conventions naming rules ({1}){2}",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor UnknownKey = Make(
        "OTG2004", "Key is not in the semantic-conventions registry",
        "'{0}' is not in the semantic-conventions registry v{1}: did you mean '{2}'?",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ValueTypeMismatch = Make(
        "OTG2005", "Attribute value type does not match the registry",
        "'{0}' is {1} in the semantic conventions, but the value written here is {2}",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor EnumValueNotListed = Make(
        "OTG2006", "Value is not a listed member of a semantic-conventions enum",
        "'{0}' is not a listed value of '{1}' (listed: {2}); enums are open, so this is only a note",
        SemConvCategory, DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor ReservedOtelKey = Make(
        "OTG2007", "The otel.* namespace is reserved",
        "'{0}' uses the reserved 'otel.*' namespace, which belongs to the OpenTelemetry specification",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ReusesSemConvNamespace = Make(
        "OTG2008", "Application key reuses a semantic-conventions namespace",
        "'{0}' is not a registered key but uses the semantic-conventions namespace '{1}' as its prefix; prefix application keys with your own name (e.g. a reverse domain)",
        SemConvCategory, DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor KeyIsSemConvNamespace = Make(
        "OTG2009", "Key is a semantic-conventions namespace",
        "'{0}' is a namespace of semantic-conventions keys (such as '{1}'), so it cannot also be an attribute key",
        SemConvCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor KeyIsNamespaceOfAnotherKey = Make(
        "OTG2010", "Key is also used as a namespace of another key",
        "'{0}' is written as an attribute key, and also as the namespace of '{1}'; a key must not be a namespace of another key",
        SemConvCategory, DiagnosticSeverity.Warning, WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor NotInstrumentedUse = Make(
        "OTG3001", "This use is not instrumented",
        "This use of '{0}' is not instrumented: {1}",
        CoverageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor EffectOperationName = Make(
        "OTG3002", "Effect operation name is not <system>.<operation>",
        "Effect operation '{0}' should be '<system>.<operation>' in lowercase (e.g. 'db.get'){1}",
        CoverageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor EffectTarget = Make(
        "OTG3003", "Effect target is neither a literal nor a captured parameter",
        "Effect target {0}",
        CoverageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SensitiveCapture = Make(
        "OTG3004", "Captured parameter looks sensitive",
        "Parameter '{0}' looks sensitive ({1}); capturing it would send it to your telemetry backend",
        CoverageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor CoverageSummary = Make(
        "OTG3005", "Instrumentation coverage",
        "OtelGen instrumented {0} of {1} call sites of [Traced]/[Effect] methods in this compilation",
        CoverageCategory, DiagnosticSeverity.Hidden, WellKnownDiagnosticTags.CompilationEnd);
}
