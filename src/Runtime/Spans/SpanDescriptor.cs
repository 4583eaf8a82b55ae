using System;
using System.Diagnostics;

namespace OtelGen.Spans;

/// <summary>
/// The facts about a span site that never change at run time: its name, kind and constant attributes
/// (for example <c>code.function.name</c>, <c>db.operation.name</c>). Generated code keeps one in a
/// static readonly field per instrumented method, so a span only stores a reference to it.
/// </summary>
public sealed class SpanDescriptor
{
    private static readonly KeyValue[] s_none = Array.Empty<KeyValue>();

    /// <summary>Describes a span site.</summary>
    /// <param name="name">The span name.</param>
    /// <param name="kind">The span kind.</param>
    /// <param name="attributes">Attributes every span of this site carries; the array is kept, not copied.</param>
    /// <param name="flags">How the span treats failures and lifecycles.</param>
    public SpanDescriptor(string name, ActivityKind kind, KeyValue[]? attributes = null, SpanFlags flags = SpanFlags.None)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Kind = kind;
        Attributes = attributes ?? s_none;
        Flags = flags;
    }

    /// <summary>The span name.</summary>
    public string Name { get; }

    /// <summary>The span kind.</summary>
    public ActivityKind Kind { get; }

    /// <summary>Attributes every span of this site carries.</summary>
    public KeyValue[] Attributes { get; }

    /// <summary>How spans of this site treat failures.</summary>
    public SpanFlags Flags { get; }
}

/// <summary>Per-site behaviour switches.</summary>
[Flags]
public enum SpanFlags : byte
{
    /// <summary>Defaults: an exception marks the span ERROR.</summary>
    None = 0,
    /// <summary>An optional effect: an exception records <c>error.type</c> and the exception event but leaves the status UNSET.</summary>
    Optional = 1,
}
