using System;
using System.Threading.Tasks;
using System.Diagnostics;
using System.Threading;
using System.Runtime.CompilerServices;
using OtelGen.Context;
using OtelGen.Sampling;

namespace OtelGen.Spans;

/// <summary>
/// A span that has started and not yet ended. Instances are reused: the ones for synchronous scopes live
/// on a per-thread stack, the ones for async scopes in a small per-thread pool, so starting a span
/// allocates nothing once warm. Handles carry a generation number so a stale handle cannot touch a reused span.
/// </summary>
public sealed class ActiveSpan
{
    internal readonly SpanRecord Record = new();
    internal int Generation;
    internal volatile bool IsOpen;
    internal bool Recording;
    internal bool OnStack;
    // The thread stack that owns this span (OnStack spans only): ending it pops there without a thread-local read.
    internal SpanStack? Owner;
    internal bool Optional;
    internal Baggage Baggage = Baggage.Empty;
    // The execution context this frame was pushed under, and the flow node current for it.
    internal ExecutionContext? PushedUnder;
    internal FlowNode? Flow;
    // Flow scopes: what to put back when the scope ends.
    internal bool SetsFlow;
    internal FlowNode? PreviousFlow;
    internal ExecutionContext? RestoreTo;
    internal ExecutionContext? AfterSet;
    // The last exception thrown while this span was the current one of its async flow (async spans only).
    internal Exception? Thrown;
    private static int s_watchingThrows;
    // Ends a tracked span when its task completes (the span is the state): one delegate for all spans.
    private static readonly Action<Task, object?> s_endTracked = static (task, span) => ((ActiveSpan)span!).EndWith(task);

    internal ActiveSpan() { }

    /// <summary>This span's context, as children and outgoing requests see it.</summary>
    public SpanContext Context => new(Record.TraceId, Record.SpanId, Record.TraceFlags, Record.TraceState);

    internal void Begin(SpanDescriptor? descriptor, string name, SpanKind kind, in SpanContext parent, Baggage baggage) =>
        Begin(descriptor, name, kind, parent, baggage, SpanStack.Current);

    internal void Begin(SpanDescriptor? descriptor, string name, SpanKind kind, in SpanContext parent, Baggage baggage, SpanStack thread)
    {
        SpanRecord record = Record;
        record.ResetForStart();
        if (parent.IsValid)
        {
            record.TraceId = parent.TraceId;
            record.ParentSpanId = parent.SpanId;
            record.ParentIsRemote = parent.IsRemote;
            record.TraceState = parent.TraceState;
        }
        else
        {
            // A context with a trace id but no span id (e.g. a host's own request Activity that has no
            // parent) asks for a root in that trace, so both agree on the trace id.
            record.TraceId = parent.TraceId.IsValid ? parent.TraceId : TraceId.NewRandom(ref thread.Ids);
            record.ParentSpanId = default;
            record.ParentIsRemote = false;
            record.TraceState = parent.TraceId.IsValid ? parent.TraceState : null;
        }
        // The head decision (parent-based samplers follow the parent's flag), sent on in traceparent;
        // tail sampling records unsampled spans too, so that its policy can still keep their trace.
        record.TraceFlags = HeadSampler.Decide(parent, record.TraceId, out bool recording);
        record.SpanId = SpanId.NewRandom(ref thread.Ids);
        record.Descriptor = descriptor;
        Thrown = null;
        record.Name = name;
        record.Kind = kind;
        Optional = descriptor is not null && (descriptor.Flags & SpanFlags.Optional) != 0;
        Recording = recording;
        Baggage = baggage;
        // A span that is not recorded needs ids (children and outgoing headers use them) but no times.
        record.StartUnixNano = recording ? SpanClock.NowUnixNanos() : 0;
        IsOpen = true;
    }

    internal void End()
    {
        if (!IsOpen)
        {
            return;
        }
        if (Recording)
        {
            Record.EndUnixNano = SpanClock.NowUnixNanos();
            Tracing.OnEnd(Record);
        }
        Record.ReleaseCollections();
        Record.StatusMessage = null;
        Record.TraceState = null;
        IsOpen = false;
        Generation++;
    }

    /// <summary>Marks the span failed by <paramref name="exception"/>: the <c>exception</c> event, <c>error.type</c>, and ERROR unless the site is optional.</summary>
    internal void RecordException(Exception exception)
    {
        try
        {
            string type = exception.GetType().FullName ?? exception.GetType().Name;
            SpanRecord record = Record;
            record.AddEvent("exception", SpanClock.NowUnixNanos(), new KeyValue[]
            {
                new("exception.type", type),
                new("exception.message", exception.Message),
                new("exception.stacktrace", StackTraceOf(exception)),
            });
            record.SetAttribute("error.type", type);
            if (!Optional)
            {
                record.StatusCode = SpanStatusCode.Error;
                record.StatusMessage = exception.Message;
            }
        }
        catch
        {
            // Telemetry never throws into the application.
        }
    }

    /// <summary>
    /// From the first async span on, exceptions are seen as they are thrown, first-chance, and kept on the span
    /// current for that flow: what a faulted task's span records instead of reading <see cref="Task.Exception"/>.
    /// One async-local read per exception thrown in the process, against the microseconds a throw costs.
    /// </summary>
    internal static void WatchThrows()
    {
        if (s_watchingThrows == 0 && Interlocked.Exchange(ref s_watchingThrows, 1) == 0)
        {
            AppDomain.CurrentDomain.FirstChanceException += static (_, e) =>
            {
                if (FlowNode.Current.Value?.LiveSpan is { } span)
                {
                    span.Thrown = e.Exception;
                }
            };
        }
    }

    // The exception whose text was rendered last on this thread, and that text.
    [ThreadStatic]
    private static WeakReference<Exception>? t_rendered;
    [ThreadStatic]
    private static string? t_renderedText;

    /// <summary>
    /// The exception's text (<c>ToString()</c>), rendered once per exception and thread: while one exception
    /// unwinds through nested traced frames, each frame's filter records it, and rendering the stack trace
    /// so far in every frame made the unwinding cost grow with the square of the depth (a 3,000-frame
    /// recursion took 78 s). The spans further out share the text of the innermost one, where it was thrown.
    /// </summary>
    private static string StackTraceOf(Exception exception)
    {
        if (t_rendered is { } rendered && rendered.TryGetTarget(out Exception? last) && ReferenceEquals(last, exception) && t_renderedText is { } text)
        {
            return text;
        }
        text = exception.ToString();
        if (t_rendered is null)
        {
            t_rendered = new WeakReference<Exception>(exception);
        }
        else
        {
            t_rendered.SetTarget(exception);
        }
        t_renderedText = text;
        return text;
    }

    /// <summary>A faulted task whose exception was not seen thrown (e.g. <c>Task.FromException</c>): ERROR status (UNSET for optional effects), no event.</summary>
    internal void RecordFault()
    {
        Record.SetAttribute("error.type", "_OTHER");
        if (!Optional)
        {
            Record.StatusCode = SpanStatusCode.Error;
        }
    }

    internal void RecordCanceled()
    {
        Record.SetAttribute("error.type", "System.Threading.Tasks.TaskCanceledException");
        if (!Optional)
        {
            Record.StatusCode = SpanStatusCode.Error;
            Record.StatusMessage = "The task was canceled.";
        }
    }

    /// <summary>Ends this span when <paramref name="task"/> completes, recording its failure or cancellation.</summary>
    internal void EndWhenComplete(Task task)
    {
        if (task.IsCompleted)
        {
            EndWith(task);
            return;
        }
        // A synchronous ContinueWith, not an await-style callback: a task runs only its first await-style
        // continuation inline and queues the others to the thread pool, so a callback registered here
        // would push the caller's own await onto another thread, one thread-pool hop per awaited traced
        // call. Synchronous ContinueWith continuations run inline and in order, this one first.
        task.ContinueWith(s_endTracked, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void EndWith(Task task)
    {
        if (task.IsFaulted)
        {
            // Not task.Exception: reading it would mark the exception observed, and a fire-and-forget task
            // would no longer raise TaskScheduler.UnobservedTaskException. The exception was seen as it was
            // thrown in this span's flow (OnFirstChance): the last one thrown there is the one that escaped.
            if (Thrown is { } exception)
            {
                RecordException(exception);
            }
            else
            {
                RecordFault();
            }
        }
        else if (task.IsCanceled)
        {
            RecordCanceled();
        }
        End();
        ActiveSpanPool.Return(this);
    }
}

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

/// <summary>
/// Spans for async scopes, jobs and request spans, which outlive the stack frame that started them. A
/// per-thread pool first; such a span usually ends on another thread than it started on (a job is
/// enqueued on one thread and completed on another), so what a thread returns beyond its own share goes
/// to a shared lock-free queue, where threads that only start spans find it.
/// </summary>
internal static class ActiveSpanPool
{
    private const int MaxPerThread = 32;
    private const int MaxShared = 1024;
    private static readonly System.Collections.Concurrent.ConcurrentQueue<ActiveSpan> s_shared = new();
    private static int s_sharedCount;

    [ThreadStatic]
    private static ActiveSpan?[]? t_free;
    [ThreadStatic]
    private static int t_count;

    public static ActiveSpan Rent()
    {
        ActiveSpan?[]? free = t_free;
        if (free is not null && t_count > 0)
        {
            int index = --t_count;
            ActiveSpan span = free[index]!;
            free[index] = null;
            return span;
        }
        if (Volatile.Read(ref s_sharedCount) > 0 && s_shared.TryDequeue(out ActiveSpan? shared))
        {
            Interlocked.Decrement(ref s_sharedCount);
            return shared;
        }
        return new ActiveSpan();
    }

    public static void Return(ActiveSpan span)
    {
        if (span.OnStack || span.IsOpen)
        {
            return;
        }
        span.Baggage = Baggage.Empty;
        span.Flow = null;
        span.PreviousFlow = null;
        span.RestoreTo = null;
        span.AfterSet = null;
        span.PushedUnder = null;
        ActiveSpan?[] free = t_free ??= new ActiveSpan?[MaxPerThread];
        if (t_count < MaxPerThread)
        {
            free[t_count++] = span;
        }
        else if (Interlocked.Increment(ref s_sharedCount) <= MaxShared)
        {
            s_shared.Enqueue(span);
        }
        else
        {
            Interlocked.Decrement(ref s_sharedCount);
        }
    }
}

/// <summary>Finds the parent of a new span and makes spans current: the heart of context propagation.</summary>
internal static class SpanContexts
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
