using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>
/// The ambient (implicit, current) context, the heart of context propagation: finds the parent of a new span
/// (this thread's span stack, then the async flow's <see cref="FlowNode"/>, unless an Activity started inside
/// them is current, then <c>Activity.Current</c>, then the process's own parent) and makes spans current for an
/// async flow and puts the caller's flow back.
/// Not to be confused with <see cref="SpanContext"/> (the ids and flags a span passes on, a value) or
/// <see cref="TraceContext"/> (the public API over this: read the current context, continue a remote one).
/// </summary>
internal static class AmbientContext
{
    /// <summary>
    /// The parent for a span starting now. The top of this thread's stack wins when it belongs to the
    /// current flow: pushed under the same execution context, or under the same flow node (another
    /// async-local such as a logging scope changed the context, but not ours). Otherwise (a task from
    /// another flow inlined here, or an async continuation) the flow node, then Activity.Current. An Activity
    /// started inside the chosen span is inner to it and is the parent instead.
    /// </summary>
    public static SpanContext ResolveParent(SpanStack stack, out ExecutionContext? executionContext, out FlowNode? flow, out Baggage baggage) =>
        ResolveParent(stack, out executionContext, out flow, out baggage, out _);

    /// <summary>
    /// As above, and <paramref name="ambient"/> is <c>Activity.Current</c> as the new span sees it, kept on the span
    /// so that a later start can tell whether an Activity current then was started inside it. OtelGen's spans
    /// and library Activities live in two stacks (a thread-static and async-local one of ours, .NET's
    /// async-local Activity.Current); the parent is whichever is innermost: an Activity started inside our
    /// span (its parent chain leads to the Activity our span started under) wins over our span, and our span
    /// wins over the Activity it started under or any Activity further out.
    /// </summary>
    public static SpanContext ResolveParent(SpanStack stack, out ExecutionContext? executionContext, out FlowNode? flow, out Baggage baggage, out Activity? ambient)
    {
        executionContext = ExecutionContext.Capture();
        ActiveSpan? top = stack.Top;
        if (top is not null && ReferenceEquals(top.PushedUnder, executionContext))
        {
            // Nothing async-local changed since the top was pushed: not our flow node, not Activity.Current.
            flow = top.Flow;
            baggage = top.Baggage;
            ambient = top.AmbientActivity;
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
            stack.Remember(executionContext, node, activity);
        }
        ambient = activity;
        flow = node;
        if (top is not null && ReferenceEquals(top.Flow, node))
        {
            baggage = top.Baggage;
            return ReferenceEquals(activity, top.AmbientActivity) ? top.Context : Innermost(top.Context, top.AmbientActivity, activity);
        }
        if (node is not null)
        {
            baggage = node.Baggage;
            return ReferenceEquals(activity, node.AmbientActivity) ? node.Context : Innermost(node.Context, node.AmbientActivity, activity);
        }
        SpanContext fromActivity = FromActivity(Live(activity));
        if (fromActivity.IsValid)
        {
            baggage = Baggage.Empty;
            return fromActivity;
        }
        // Last, the context this process was started with (TRACEPARENT in the environment).
        baggage = TraceContext.ProcessBaggage;
        return TraceContext.ProcessParent;
    }

    /// <summary>
    /// Our span (<paramref name="ours"/>, started while <paramref name="startedUnder"/> was Activity.Current) or the
    /// Activity current now, whichever is inner.
    /// </summary>
    private static SpanContext Innermost(in SpanContext ours, Activity? startedUnder, Activity? current)
    {
        if (IsInside(current, startedUnder) && FromActivity(Live(current)) is { IsValid: true } inner)
        {
            return inner;
        }
        return ours;
    }

    /// <summary>
    /// Whether <paramref name="activity"/> was started inside a span that began while <paramref name="outer"/> was
    /// current: its parent chain reaches <paramref name="outer"/> (or its end, when nothing was current). An
    /// Activity further out (ours started under it, or under one of its children that has since stopped)
    /// never reaches it. The walk is bounded: library chains are short, and a cycle (a library that reused a
    /// span id and parented an Activity by itself) must not hang a span start.
    /// </summary>
    internal static bool IsInside(Activity? activity, Activity? outer)
    {
        if (activity is null || ReferenceEquals(activity, outer))
        {
            return false;
        }
        Activity? a = activity.Parent;
        for (int i = 0; i < 64; i++)
        {
            if (ReferenceEquals(a, outer))
            {
                return true;
            }
            if (a is null)
            {
                return false;
            }
            a = a.Parent;
        }
        return false;
    }

    /// <summary>
    /// <paramref name="activity"/>, or its nearest ancestor that has not stopped: a child Activity that outlives its
    /// parent puts the stopped parent back as Activity.Current when it stops, and a stopped span is nobody's parent.
    /// </summary>
    internal static Activity? Live(Activity? activity)
    {
        for (int i = 0; activity is { IsStopped: true } && i < 64; i++)
        {
            activity = activity.Parent;
        }
        return activity is { IsStopped: true } ? null : activity;
    }

    /// <summary>
    /// OtelGen's own innermost context in this flow, Activities left aside: the top of this thread's stack when it
    /// belongs to the flow, else the flow node. <paramref name="startedUnder"/> is Activity.Current when it began,
    /// so that a caller holding an Activity can tell which of the two is inner (<see cref="IsInside"/>).
    /// </summary>
    internal static bool TryGetOurs(out SpanContext context, out Baggage baggage, out Activity? startedUnder)
    {
        ActiveSpan? top = SpanStack.Current.Top;
        FlowNode? node = null;
        if (top is not null && (ReferenceEquals(top.PushedUnder, ExecutionContext.Capture()) || ReferenceEquals(top.Flow, node = FlowNode.Current.Value)))
        {
            context = top.Context;
            baggage = top.Baggage;
            startedUnder = top.AmbientActivity;
            return context.IsValid;
        }
        node ??= FlowNode.Current.Value;
        if (node is not null && node.Context.IsValid)
        {
            context = node.Context;
            baggage = node.Baggage;
            startedUnder = node.AmbientActivity;
            return true;
        }
        context = default;
        baggage = Baggage.Empty;
        startedUnder = null;
        return false;
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
            // The sampled flag and W3C's random-trace-id flag (Level 2), which an Activity keeps from a remote parent.
            (byte)((byte)activity.ActivityTraceFlags & (TraceParent.SampledFlag | TraceParent.RandomTraceIdFlag)),
            activity.TraceStateString,
            isRemote: false);
    }

    /// <summary>Makes <paramref name="span"/> current for the async flow, remembering what to restore.</summary>
    public static void SetFlow(ActiveSpan span, FlowNode? previous, ExecutionContext? before)
    {
        var node = new FlowNode(span.Context, span, span.Baggage, span.AmbientActivity);
        span.SetsFlow = true;
        span.PreviousFlow = previous;
        span.RestoreTo = before;
        FlowNode.Current.Value = node;
        span.AfterSet = ExecutionContext.Capture();
        span.PushedUnder = span.AfterSet;
        span.Flow = node;
    }

    /// <summary>
    /// Puts the caller's flow back and ends <paramref name="span"/>, made current for a call of an <c>async</c> method,
    /// after <paramref name="task"/> (the method's) completes, as the method's flow is left: no continuation on the task
    /// (see <see cref="FlowNode.EndWhenLeft"/>). A span that did not make its own flow falls back to a continuation.
    /// </summary>
    public static void RestoreFlowAndEndWhenLeft(ActiveSpan span, Task task)
    {
        FlowNode? node = span.SetsFlow ? span.Flow : null;
        if (node is null || task.IsCompleted || !ReferenceEquals(node.Span, span))
        {
            RestoreFlowAndEndWhenComplete(span, task);
            return;
        }
        RestoreFlow(span);
        node.EndWhenLeft(task);
    }

    /// <summary>
    /// Puts the caller's flow back and ends <paramref name="span"/> when <paramref name="task"/> completes. When the task
    /// is pending and nothing else changed the execution context since the span was made current, the continuation is
    /// registered under the default context on the way back to the caller's: two context switches, where putting the
    /// flow back first and then registering under the default context takes three.
    /// </summary>
    public static void RestoreFlowAndEndWhenComplete(ActiveSpan span, Task task)
    {
        if (!task.IsCompleted && span.SetsFlow && span.RestoreTo is { } before && ActiveSpan.DefaultExecutionContext is { } empty
            && ReferenceEquals(ExecutionContext.Capture(), span.AfterSet))
        {
            span.SetsFlow = false;
            span.RestoreTo = null;
            span.AfterSet = null;
            span.EndAfter(task, empty, before);
            return;
        }
        RestoreFlow(span);
        span.EndWhenComplete(task);
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
