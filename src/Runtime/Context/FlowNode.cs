using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;

namespace OtelGen.Context;

/// <summary>
/// What an async flow carries: the current span's context (immutable, so a task that outlives its parent
/// still sees the right ids), the live span for enrichment while it is open, and the baggage.
/// A span around a call of an <c>async</c> method also ends through its node (<see cref="EndWhenLeft"/>): no
/// continuation on the method's task, the span ends as its flow is left for good.
/// </summary>
internal class FlowNode
{
    public static readonly AsyncLocal<FlowNode?> Current = new(OnChanged);

    public readonly SpanContext Context;
    public readonly ActiveSpan? Span;
    public readonly Baggage Baggage;
    // Activity.Current when the span started: an Activity current later in this flow is inside the span if
    // its parent chain leads here (see AmbientContext.ResolveParent).
    public readonly Activity? AmbientActivity;
    // The task of the async method that Span is around, until the span ends (see EndWhenLeft).
    private Task? _pending;

    /// <summary>A span's node.</summary>
    public FlowNode(SpanContext context, ActiveSpan? span, Baggage baggage, Activity? ambientActivity = null)
    {
        AmbientActivity = ambientActivity;
        Context = context;
        Span = span;
        Baggage = baggage;
    }

    /// <summary>
    /// A scope's node (TraceContext, a job's run), made over <paramref name="madeOver"/>: a node of its own type, so that
    /// span nodes, one per async span, do not carry the field.
    /// </summary>
    public static FlowNode ForScope(SpanContext context, ActiveSpan? span, Baggage baggage, Activity? ambientActivity, FlowNode? madeOver) =>
        new ScopeNode(context, span, baggage, ambientActivity, madeOver is ScopeNode scope ? scope.Outer : madeOver);

    // For a scope's node: the span node it was made over, whose flow a thread leaving this one may be leaving for good
    // (a scope left open to the end of an async method). Always one hop: a scope made over a scope points past it, so
    // scopes made in a loop never form a chain.
    private sealed class ScopeNode : FlowNode
    {
        public readonly FlowNode? Outer;

        public ScopeNode(SpanContext context, ActiveSpan? span, Baggage baggage, Activity? ambientActivity, FlowNode? outer)
            : base(context, span, baggage, ambientActivity) => Outer = outer;
    }

    /// <summary>The live span if it is still the one this node was made for (spans are reused).</summary>
    public ActiveSpan? LiveSpan
    {
        get
        {
            ActiveSpan? span = Span;
            return span is not null && span.IsOpen && span.Record.SpanId == Context.SpanId ? span : null;
        }
    }

    /// <summary>
    /// Ends <see cref="Span"/> once <paramref name="task"/> has completed and a thread leaves this node's flow: the
    /// task of an async method completes inside the method's last step, which runs in the method's own execution
    /// context (this node, or a scope's node over it); the thread leaves that context right after, to run the
    /// caller's continuation or to go back to the thread pool, before the caller's code runs. One ownership hand-off
    /// (an interlocked exchange) decides who ends it, this call or a thread leaving the flow.
    /// Only for tasks of <c>async</c> methods called while this node was current (the generator knows which).
    /// </summary>
    public void EndWhenLeft(Task task)
    {
        // Full fence between publishing the task and reading its state: either this thread sees it completed, or
        // the completing thread, leaving the flow after completing it, sees the task.
        Interlocked.Exchange(ref _pending, task);
        if (task.IsCompleted)
        {
            TryEnd();
        }
    }

    private void TryEnd()
    {
        Task? task = Interlocked.Exchange(ref _pending, null);
        if (task is not null && Span is { } span)
        {
            span.EndWithTask(task);
        }
    }

    // Every switch of execution context that changes this async-local passes here (the runtime calls it for
    // async-locals that have a handler, like Activity.Current's); only a node whose task has completed acts.
    private static void OnChanged(AsyncLocalValueChangedArgs<FlowNode?> change)
    {
        FlowNode? left = change.PreviousValue;
        if (left is null || ReferenceEquals(left, change.CurrentValue))
        {
            return;
        }
        try
        {
            if (left._pending is { IsCompleted: true })
            {
                left.TryEnd();
            }
            if (left is ScopeNode { Outer: { _pending: { IsCompleted: true } } outer })
            {
                outer.TryEnd();
            }
        }
        catch
        {
            // Telemetry never throws into the application (here, into the runtime's context switch).
        }
    }
}
