using System;
using System.Diagnostics;

namespace OtelGen;

/// <summary>
/// Records a span around every call of the method in this compilation. The OtelGen source generator
/// intercepts each call site at build time; nothing happens at run time beyond the span itself.
/// On a class, struct or interface it applies to the public methods it declares.
/// </summary>
/// <example><code>
/// [Traced] public int Step(int x) { ... }                 // span "Work.Step"
/// [Traced("checkout", Kind = ActivityKind.Server)] void Handle() { ... }
/// </code></example>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, Inherited = false)]
public sealed class TracedAttribute : Attribute
{
    /// <summary>Uses the default span name <c>{Type}.{Method}</c>.</summary>
    public TracedAttribute() { }

    /// <summary>Uses <paramref name="name"/> as the span name.</summary>
    public TracedAttribute(string name) { Name = name; }

    /// <summary>The span name, or null for <c>{Type}.{Method}</c>.</summary>
    public string? Name { get; }

    /// <summary>The span kind, exported as the OTLP kind of the same name; <see cref="ActivityKind.Internal"/> by default.</summary>
    public ActivityKind Kind { get; set; } = ActivityKind.Internal;

    /// <summary>When set, the return value is recorded as a span attribute under this key.</summary>
    public string? ReturnTag { get; set; }
}
