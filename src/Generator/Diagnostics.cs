using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace OtelGen.Generator;

/// <summary>
/// The OTG1xxx diagnostics: what the generator cannot instrument, each with what to do instead. Shared: this file
/// is also compiled into OtelGen.Analyzers, whose InterceptionAnalyzer reports every id but OTG1008 (analyzer
/// diagnostics obey <c>#pragma</c>, <c>[SuppressMessage]</c> and .editorconfig severities); the generator itself
/// reports only OTG1008, which has no location and needs the generator's count of call sites.
/// </summary>
internal static class Diagnostics
{
    public const string Category = "OtelGen.Generator";

    private static string Help(string id) => "https://github.com/otelgen/otelgen/blob/main/docs/diagnostics/" + id + ".md";

    public static readonly DiagnosticDescriptor AsyncVoid = new(
        "OTG1001",
        "async void methods cannot be traced",
        "'{0}' is async void: its span could not end when its work ends. Return Task instead, or remove the attribute.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("OTG1001"));

    public static readonly DiagnosticDescriptor Iterator = new(
        "OTG1002",
        "Iterators and async streams cannot be traced",
        "'{0}' returns {1}: its work runs while the caller enumerates, after the call has returned, so a span around the call would measure nothing. Trace the method that enumerates it, or return a materialized collection.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("OTG1002"));

    public static readonly DiagnosticDescriptor UnsupportedSignature = new(
        "OTG1003",
        "Unsupported method signature",
        "'{0}' cannot be traced: {1}. {2}.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("OTG1003"));

    public static readonly DiagnosticDescriptor Inaccessible = new(
        "OTG1004",
        "Traced method is not reachable from generated code",
        "'{0}' cannot be traced because it is {1}: generated interceptors live in another class and can only call internal or public methods of non-private types, by name. {2}.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("OTG1004"));

    public static readonly DiagnosticDescriptor TagType = new(
        "OTG1005",
        "Tagged parameter type cannot be recorded",
        "Parameter '{0}' of type '{1}' cannot be recorded as a span attribute: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("OTG1005"));

    public static readonly DiagnosticDescriptor ReturnTagType = new(
        "OTG1006",
        "Return value cannot be recorded",
        "ReturnTag on '{0}' cannot record its return value: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("OTG1006"));

    public static readonly DiagnosticDescriptor CallNotTraced = new(
        "OTG1007",
        "Call is not traced",
        "This call to '{0}' is not traced: {1}",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("OTG1007"));

    public static readonly DiagnosticDescriptor InterceptorsNotEnabled = new(
        "OTG1008",
        "Interceptors are not enabled for OtelGen",
        "{0} call(s) of traced methods are not traced because interceptors are not enabled for the namespace OtelGen.Generated. Reference the OtelGen package (its build props set this), or add <InterceptorsNamespaces>$(InterceptorsNamespaces);OtelGen.Generated</InterceptorsNamespaces> to the project.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("OTG1008"));

    public static readonly DiagnosticDescriptor NotCalledByName = new(
        "OTG1009",
        "Only methods called by name can be traced",
        "[Traced] and [Effect] have no effect on {0}: {1}, so there is no call by name to intercept. {2}.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("OTG1009"));

    public static readonly DiagnosticDescriptor TagNotRecorded = new(
        "OTG1010",
        "Tagged parameter of a method that is not traced",
        "Parameter '{0}' is tagged, but '{1}' is not traced, so nothing records it. {2}.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("OTG1010"));

    public static readonly DiagnosticDescriptor ImplementationOutlivesCall = new(
        "OTG1011",
        "Implementation of a traced method works after the call returns",
        "'{0}' {1} the traced '{2}' but {3}: the span of a call through '{2}' ends when the call returns, before this work ends. {4}.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("OTG1011"));

    /// <summary>Every OTG1xxx descriptor, in id order.</summary>
    public static IEnumerable<DiagnosticDescriptor> All => new[]
    {
        AsyncVoid, Iterator, UnsupportedSignature, Inaccessible, TagType, ReturnTagType, CallNotTraced, InterceptorsNotEnabled,
        NotCalledByName, TagNotRecorded, ImplementationOutlivesCall,
    };
}
