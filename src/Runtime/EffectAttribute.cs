using System;
using System.Diagnostics;

namespace OtelGen;

/// <summary>
/// Marks a method as an effect: a call to a remote system (database, cache, HTTP). Each call records a
/// CLIENT span named <c>{operation} {target}</c>, e.g. <c>[Effect("db.get", Target = "blog_post")]</c> gives
/// <c>db.get blog_post</c> with <c>db.operation.name = get</c> and <c>db.collection.name = blog_post</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class EffectAttribute : Attribute
{
    /// <summary>Declares the effect's operation, written <c>{system}.{operation}</c> in lowercase (e.g. <c>db.get</c>).</summary>
    public EffectAttribute(string operation) { Operation = operation; }

    /// <summary>The operation, <c>{system}.{operation}</c>.</summary>
    public string Operation { get; }

    /// <summary>What the operation acts on (a table, a cache, a remote resource), or null.</summary>
    public string? Target { get; set; }

    /// <summary>
    /// Whether the caller cannot go on without this effect. A required effect that fails is ERROR; an
    /// optional one stays UNSET and carries <c>error.type</c>. True by default.
    /// </summary>
    public bool Required { get; set; } = true;

    /// <summary>The span kind, exported as the OTLP kind of the same name; <see cref="ActivityKind.Client"/> by default.</summary>
    public ActivityKind Kind { get; set; } = ActivityKind.Client;

    /// <summary>When set, the return value is recorded as a span attribute under this key.</summary>
    public string? ReturnTag { get; set; }
}
