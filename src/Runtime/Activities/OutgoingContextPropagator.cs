using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Activities;

/// <summary>
/// .NET's <see cref="DistributedContextPropagator"/> (what HttpClient and other libraries inject outgoing context
/// with) made to name a span OtelGen exports. Injecting for an Activity: one that is recorded (by OtelGen or
/// anyone else) is sent as it is; one that nobody records (HttpClient's propagation-only Activity, a
/// hierarchy's unrecorded request Activity) would name a span that no backend will ever receive, so the span it
/// was started under is sent instead: OtelGen's innermost span when that is the inner one, else the nearest
/// recorded Activity above it. OtelGen's baggage goes with OtelGen's context. Everything else (extracting,
/// Activities outside any OtelGen trace) is the wrapped propagator's.
/// </summary>
internal sealed class OutgoingContextPropagator : DistributedContextPropagator
{
    private readonly DistributedContextPropagator _inner;
    private readonly IReadOnlyCollection<string> _fields;

    internal OutgoingContextPropagator(DistributedContextPropagator inner)
    {
        _inner = inner;
        _fields = inner.Fields.Concat(new[] { "traceparent", "tracestate", "baggage" }).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>The propagator this one wraps (what was <c>DistributedContextPropagator.Current</c> before).</summary>
    internal DistributedContextPropagator Inner => _inner;

    public override IReadOnlyCollection<string> Fields => _fields;

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        if (setter is null)
        {
            return;
        }
        SpanContext context;
        Baggage baggage;
        try
        {
            if (!Propagators.TraceContext || !TryChoose(activity, out context, out baggage))
            {
                _inner.Inject(activity, carrier, setter);
                return;
            }
        }
        catch
        {
            _inner.Inject(activity, carrier, setter);
            return;
        }
        setter(carrier, "traceparent", TraceParent.Format(context));
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            setter(carrier, "tracestate", context.TraceState);
        }
        if (Propagators.Baggage && BaggageHeader.Format(baggage) is { Length: > 0 } header)
        {
            setter(carrier, "baggage", header);
        }
        else if (activity is not null)
        {
            // The Activity's own baggage, as .NET would send it; not its ids, which we just wrote.
            _inner.Inject(activity, carrier, (c, name, value) =>
            {
                if (!string.Equals(name, "traceparent", StringComparison.OrdinalIgnoreCase) && !string.Equals(name, "tracestate", StringComparison.OrdinalIgnoreCase)
                    && !string.Equals(name, "Request-Id", StringComparison.OrdinalIgnoreCase))
                {
                    setter(c, name, value);
                }
            });
        }
    }

    /// <summary>
    /// The context an outgoing call made for <paramref name="activity"/> should carry, when OtelGen has a span in this
    /// flow; false leaves the call to .NET's own propagator.
    /// </summary>
    internal static bool TryChoose(Activity? activity, out SpanContext context, out Baggage baggage)
    {
        if (!AmbientContext.TryGetOurs(out SpanContext ours, out baggage, out Activity? startedUnder))
        {
            context = default;
            return false;
        }
        if (activity is null)
        {
            // No Activity: the innermost of ours and Activity.Current.
            context = AmbientContext.CurrentContext(out _);
            return context.IsValid;
        }
        if (activity.IdFormat != ActivityIdFormat.W3C)
        {
            context = ours;
            return true;
        }
        if (ActivityRecorder.IsStandIn(activity, ours))
        {
            context = ours;
            return true;
        }
        if (ActivityRecorder.IsExported(activity))
        {
            // Someone exports it: it is the parent downstream.
            context = AmbientContext.FromActivity(activity);
            return context.IsValid;
        }
        // Nobody records it: the span it started under. Reparented onto ours, or started where ours is innermost.
        if (SpanId.FromActivitySpanId(activity.ParentSpanId) == ours.SpanId)
        {
            context = ours;
            return true;
        }
        Activity? parent = AmbientContext.Live(activity.Parent);
        for (int i = 0; i < 64; i++)
        {
            // Ours is inner (or the parent stands in for it, with its ids): ours is the parent that is exported.
            if (parent is null || ReferenceEquals(parent, startedUnder) || !AmbientContext.IsInside(parent, startedUnder)
                || SpanId.FromActivitySpanId(parent.SpanId) == ours.SpanId)
            {
                context = ours;
                return true;
            }
            if (ActivityRecorder.IsExported(parent))
            {
                context = AmbientContext.FromActivity(parent);
                return context.IsValid;
            }
            parent = AmbientContext.Live(parent.Parent);
        }
        context = ours;
        return true;
    }

    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
        _inner.ExtractTraceIdAndState(carrier, getter, out traceId, out traceState);

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) =>
        _inner.ExtractBaggage(carrier, getter);
}
