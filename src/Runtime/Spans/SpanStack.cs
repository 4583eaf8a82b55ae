using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// The per-thread state of span starts: the stack of open synchronous spans, the id generator, and the
/// parent last found for this thread's execution context. One thread-local read reaches all of it.
/// </summary>
internal sealed class SpanStack
{
    [ThreadStatic]
    private static SpanStack? t_stack;

    public ActiveSpan?[] Frames = new ActiveSpan?[8];
    public int Depth;
    public RandomIds Ids = RandomIds.Seeded();

    // What the flow-level lookup (flow node, Activity.Current) found for an execution context. Contexts
    // are immutable and every async-local change makes a new one, so the same context means the same
    // answer; spans started in a loop under one context skip both async-local lookups. Holding the
    // reference keeps at most one context per thread alive, as the stack frames already do.
    public ExecutionContext? LookedUpUnder;
    public FlowNode? LookedUpFlow;
    public Activity? LookedUpActivity;

    /// <summary>Keeps what the flow node and <c>Activity.Current</c> are under <paramref name="context"/>.</summary>
    public void Remember(ExecutionContext? context, FlowNode? flow, Activity? activity)
    {
        LookedUpUnder = context;
        LookedUpFlow = flow;
        LookedUpActivity = activity;
    }

    public static SpanStack Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_stack ?? Create();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SpanStack Create() => t_stack = new SpanStack();

    public ActiveSpan? Top => Depth > 0 ? Frames[Depth - 1] : null;

    public ActiveSpan Push()
    {
        if (Depth == Frames.Length)
        {
            Array.Resize(ref Frames, Frames.Length * 2);
        }
        ActiveSpan? span = Frames[Depth];
        // A slot may still hold a borrowed span (a job's) left by a scope that was never ended: never reuse it.
        if (span is null || !span.OnStack)
        {
            span = Frames[Depth] = new ActiveSpan { OnStack = true, Owner = this };
        }
        Depth++;
        return span;
    }

    /// <summary>
    /// Pushes a span this stack does not own (a job's pooled span) so that spans started on this thread
    /// become its children. Returns the frame it displaced, to hand back to <see cref="PopBorrowed"/>.
    /// </summary>
    public ActiveSpan? PushBorrowed(ActiveSpan span)
    {
        if (Depth == Frames.Length)
        {
            Array.Resize(ref Frames, Frames.Length * 2);
        }
        ActiveSpan? displaced = Frames[Depth];
        Frames[Depth] = span;
        Depth++;
        return displaced;
    }

    /// <summary>Pops a borrowed span (and owned spans left above it), putting the displaced frame back.</summary>
    public void PopBorrowed(ActiveSpan span, ActiveSpan? displaced)
    {
        for (int i = Depth - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Frames[i], span))
            {
                for (int j = Depth - 1; j > i; j--)
                {
                    if (Frames[j]!.OnStack)
                    {
                        Frames[j]!.End();
                    }
                }
                Frames[i] = displaced is { OnStack: true } ? displaced : null;
                Depth = i;
                return;
            }
        }
    }

    /// <summary>Pops <paramref name="span"/> and anything left above it (spans whose scope was never ended).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Pop(ActiveSpan span)
    {
        int top = Depth - 1;
        ActiveSpan?[] frames = Frames;
        if ((uint)top < (uint)frames.Length && ReferenceEquals(frames[top], span))
        {
            Depth = top;
            return;
        }
        PopAbove(span);
    }

    private void PopAbove(ActiveSpan span)
    {
        for (int i = Depth - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Frames[i], span))
            {
                for (int j = Depth - 1; j > i; j--)
                {
                    // Borrowed spans (jobs) are ended by their owner, not by an outer scope.
                    if (Frames[j]!.OnStack)
                    {
                        Frames[j]!.End();
                    }
                }
                Depth = i;
                return;
            }
        }
    }
}
