using System;

namespace OtelGen;

/// <summary>
/// Instruments, in this assembly, the public methods of the types in a namespace (and, by default, its
/// sub-namespaces), optionally only the types whose name matches <see cref="TypeNames"/>. Each call site
/// of such a method in the compilation records a span named <c>{Type}.{Method}</c>.
/// A method's own <see cref="TracedAttribute"/> or <see cref="EffectAttribute"/> wins over this rule, and
/// <see cref="NoTraceAttribute"/> on a method or type excludes it.
/// </summary>
/// <example><code>
/// [assembly: TracedNamespace("MyApp.Services")]
/// [assembly: TracedNamespace("MyApp.Data", TypeNames = "*Repository")]
/// </code></example>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true, Inherited = false)]
public sealed class TracedNamespaceAttribute : Attribute
{
    /// <summary>Instruments the public methods of the types in <paramref name="namespace"/> (an empty string: every namespace).</summary>
    public TracedNamespaceAttribute(string @namespace) { Namespace = @namespace; }

    /// <summary>The namespace, e.g. <c>MyApp.Services</c>.</summary>
    public string Namespace { get; }

    /// <summary>Whether types in nested namespaces (<c>MyApp.Services.Billing</c>) match too. True by default.</summary>
    public bool IncludeSubnamespaces { get; set; } = true;

    /// <summary>
    /// Only types whose simple name matches one of these patterns, separated by <c>;</c>; <c>*</c> matches any
    /// run of characters (e.g. <c>"*Repository;*Service"</c>). Null: every type.
    /// </summary>
    public string? TypeNames { get; set; }
}
