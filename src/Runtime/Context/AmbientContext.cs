using System.Diagnostics;
using System.Threading;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>
/// The ambient (implicit, current) context, the heart of context propagation: finds the parent of a new span
/// (this thread's span stack, then the async flow's <see cref="FlowNode"/>, then <c>Activity.Current</c>, then
/// the process's own parent) and makes spans current for an async flow and puts the caller's flow back.
/// Not to be confused with <see cref="SpanContext"/> (the ids and flags a span passes on, a value) or
/// <see cref="TraceContext"/> (the public API over this: read the current context, continue a remote one).
/// </summary>
internal static class AmbientContext
{
    /// <summary>
    /// The parent for a span starting now. The top of this thread's stack wins when it belongs to the
    /// current flow: pushed under the same execution context, or under the same flow node (another
    /// async-local such as a logging scope changed the context, but not ours). Otherwise (a task from
    /// another flow inlined here, or an async continuation) the flow node, then Activity.Current.
    /// </summary>
    public static SpanContext ResolveParent(SpanStack stack, out ExecutionContext? executionContext, out FlowNode? flow, out Baggage baggage)
    {
        executionContext = ExecutionContext.Capture();
        ActiveSpan? top = stack.Top;
        if (top is not null && ReferenceEquals(top.PushedUnder, executionContext))
        {
            flow = top.Flow;
            baggage = top.Baggage;
            return top.Context;
        }
        FlowNode? node;
        Activity? activity;
        if (executionContext is not null && ReferenceEquals(stack.LookedUpUnder, executionContext))
        {
            node = stack.LookedUpFlow;
            activity = stack.LookedUpActivity;
        }
        else
        {
            node = FlowNode.Current.Value;
            activity = Activity.Current;
            // A null context (flow suppressed) says nothing about the async-locals: never cache under it.
            stack.LookedUpUnder = executionContext;
            stack.LookedUpFlow = node;
            stack.LookedUpActivity = activity;
        }
        if (top is not null && ReferenceEquals(top.Flow, node))
        {
            flow = node;
            baggage = top.Baggage;
            return top.Context;
        }
        flow = node;
        if (node is not null)
        {
            baggage = node.Baggage;
            return node.Context;
        }
        SpanContext fromActivity = FromActivity(activity);
        if (fromActivity.IsValid)
        {
            baggage = Baggage.Empty;
            return fromActivity;
        }
        // Last, the context this process was started with (TRACEPARENT in the environment).
        baggage = TraceContext.ProcessBaggage;
        return TraceContext.ProcessParent;
    }

    /// <summary>The span that enrichment from code should reach, or null.</summary>
    public static ActiveSpan? CurrentSpan()
    {
        SpanStack stack = SpanStack.Current;
        ActiveSpan? top = stack.Top;
        if (top is not null)
        {
            if (ReferenceEquals(top.PushedUnder, ExecutionContext.Capture()) || ReferenceEquals(top.Flow, FlowNode.Current.Value))
            {
                return top;
            }
        }
        return FlowNode.Current.Value?.LiveSpan;
    }

    /// <summary>The context a new child or an outgoing request would continue, or default.</summary>
    public static SpanContext CurrentContext(out Baggage baggage) =>
        ResolveParent(SpanStack.Current, out _, out _, out baggage);

    public static SpanContext FromActivity(Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return default;
        }
        return new SpanContext(
            TraceId.FromActivityTraceId(activity.TraceId),
            SpanId.FromActivitySpanId(activity.SpanId),
            (byte)(activity.ActivityTraceFlags & ActivityTraceFlags.Recorded),
            activity.TraceStateString,
            isRemote: false);
    }

    /// <summary>Makes <paramref name="span"/> current for the async flow, remembering what to restore.</summary>
    public static void SetFlow(ActiveSpan span, FlowNode? previous, ExecutionContext? before)
    {
        var node = new FlowNode(span.Context, span, span.Baggage);
        span.SetsFlow = true;
        span.PreviousFlow = previous;
        span.RestoreTo = before;
        FlowNode.Current.Value = node;
        span.AfterSet = ExecutionContext.Capture();
        span.PushedUnder = span.AfterSet;
        span.Flow = node;
    }

    /// <summary>
    /// Puts the caller's flow back. When nothing else changed the execution context since we set it,
    /// restoring the captured one costs no allocation; otherwise only our async-local is reset, so that
    /// other async-locals the callee set (culture, logging scopes) keep their values.
    /// </summary>
    public static void RestoreFlow(ActiveSpan span)
    {
        if (!span.SetsFlow)
        {
            return;
        }
        span.SetsFlow = false;
        ExecutionContext? before = span.RestoreTo;
        if (before is not null && ReferenceEquals(ExecutionContext.Capture(), span.AfterSet))
        {
            ExecutionContext.Restore(before);
        }
        else if (!ReferenceEquals(FlowNode.Current.Value, span.PreviousFlow))
        {
            FlowNode.Current.Value = span.PreviousFlow;
        }
        span.RestoreTo = null;
        span.AfterSet = null;
    }
}
