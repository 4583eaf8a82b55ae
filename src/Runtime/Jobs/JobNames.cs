using System.Collections.Concurrent;
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

    /// <summary>The descriptor of step <paramref name="name"/>: span <c>step.{name}</c>, INTERNAL, attribute <c>step.name</c>.</summary>
    public static SpanDescriptor Step(string name) =>
        s_steps.GetOrAdd(name ?? "unnamed", static n => new SpanDescriptor("step." + n, SpanKind.Internal, new KeyValue[] { new("step.name", n) }));

    /// <summary>
    /// The descriptor of an effect: span <c>{operation} {target}</c> (or just the operation), CLIENT, with
    /// <c>effect.operation</c> and <c>effect.target</c>. An optional effect that fails leaves its span UNSET.
    /// </summary>
    public static SpanDescriptor Effect(string operation, string? target = null, bool optional = false) =>
        s_effects.GetOrAdd((operation ?? "effect", target, optional), static key =>
        {
            string name = string.IsNullOrEmpty(key.Target) ? key.Operation : key.Operation + " " + key.Target;
            KeyValue[] attributes = string.IsNullOrEmpty(key.Target)
                ? new KeyValue[] { new("effect.operation", key.Operation) }
                : new KeyValue[] { new("effect.operation", key.Operation), new("effect.target", key.Target) };
            return new SpanDescriptor(name, SpanKind.Client, attributes, key.Optional ? SpanFlags.Optional : SpanFlags.None);
        });

    /// <summary>The descriptor of the segment that runs after a park: <c>{name}.resume</c>, same kind and attributes.</summary>
    public static SpanDescriptor Resume(SpanDescriptor step) =>
        s_resumes.GetOrAdd(step, static d => new SpanDescriptor(d.Name + ".resume", d.Kind, d.Attributes, d.Flags));

    /// <summary>True for a descriptor whose jobs follow the effect status policy (CLIENT or PRODUCER spans).</summary>
    internal static bool IsEffect(SpanDescriptor descriptor) => descriptor.Kind is SpanKind.Client or SpanKind.Producer;
}
