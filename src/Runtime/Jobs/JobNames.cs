using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using OtelGen.Spans;

namespace OtelGen.Jobs;

/// <summary>
/// The span vocabulary of steps and effects: <c>step.{name}</c>, <c>step.{name}.resume</c>, and effects
/// named <c>{operation} {target}</c> (<c>db.get blog_post</c>). Descriptors are made once per name and
/// cached, so naming a job allocates nothing after its first use.
/// </summary>
public static class JobNames
{
    private static readonly ConcurrentDictionary<string, SpanDescriptor> s_steps = new();
    private static readonly ConcurrentDictionary<(string Operation, string? Target, bool Optional), SpanDescriptor> s_effects = new();
    private static readonly ConcurrentDictionary<SpanDescriptor, SpanDescriptor> s_resumes = new();

    /// <summary>The descriptor of step <paramref name="name"/>: span <c>step.{name}</c>, INTERNAL, attribute <c>otelgen.step.name</c>.</summary>
    public static SpanDescriptor Step(string name) =>
        s_steps.GetOrAdd(name ?? "unnamed", static n => new SpanDescriptor("step." + n, ActivityKind.Internal, new KeyValue[] { new("otelgen.step.name", n) }));

    /// <summary>
    /// The descriptor of an effect: span <c>{operation} {target}</c> (or just the operation), CLIENT, with
    /// the same constant attributes the generator gives an <c>[Effect]</c> method: for <c>db.*</c>
    /// <c>db.operation.name</c> and <c>db.collection.name</c>, for <c>http.*</c> <c>http.request.method</c>,
    /// then <c>otelgen.effect.system</c>, <c>otelgen.effect.operation</c>, <c>otelgen.effect.target</c>.
    /// An optional effect that fails leaves its span UNSET.
    /// </summary>
    public static SpanDescriptor Effect(string operation, string? target = null, bool optional = false) =>
        s_effects.GetOrAdd((operation ?? "effect", target, optional), static key => MakeEffect(key.Operation, key.Target, key.Optional));

    /// <summary>The descriptor of the segment that runs after a park: <c>{name}.resume</c>, same kind and attributes.</summary>
    public static SpanDescriptor Resume(SpanDescriptor step) =>
        s_resumes.GetOrAdd(step, static d => new SpanDescriptor(d.Name + ".resume", d.Kind, d.Attributes, d.Flags));

    private static SpanDescriptor MakeEffect(string operation, string? target, bool optional)
    {
        int dot = operation.IndexOf('.');
        string system = dot > 0 ? operation.Substring(0, dot) : string.Empty;
        string verb = dot > 0 ? operation.Substring(dot + 1) : operation;
        bool hasTarget = !string.IsNullOrEmpty(target);
        var attributes = new List<KeyValue>();
        if (system == "db")
        {
            attributes.Add(new("db.operation.name", verb));
            if (hasTarget)
            {
                attributes.Add(new("db.collection.name", target));
            }
        }
        else if (system == "http")
        {
            attributes.Add(new("http.request.method", verb.ToUpperInvariant()));
        }
        if (system.Length > 0)
        {
            attributes.Add(new("otelgen.effect.system", system));
        }
        attributes.Add(new("otelgen.effect.operation", verb));
        if (hasTarget)
        {
            attributes.Add(new("otelgen.effect.target", target));
        }
        string name = hasTarget ? operation + " " + target : operation;
        return new SpanDescriptor(name, ActivityKind.Client, attributes.ToArray(), optional ? SpanFlags.Optional : SpanFlags.None);
    }

    /// <summary>True for a descriptor whose jobs follow the effect status policy (CLIENT or PRODUCER spans).</summary>
    internal static bool IsEffect(SpanDescriptor descriptor) => descriptor.Kind is ActivityKind.Client or ActivityKind.Producer;
}
