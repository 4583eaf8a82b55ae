using System;
using System.Threading.Tasks;
using System.Diagnostics;
using System.Threading;
using System.Runtime.CompilerServices;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// A span that has started and not yet ended. Instances are reused: the ones for synchronous scopes live
/// on a per-thread stack, the ones for async scopes in a small per-thread pool, so starting a span
/// allocates nothing once warm. Handles carry a generation number so a stale handle cannot touch a reused span.
/// </summary>
internal sealed class ActiveSpan
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
    // Activity.Current when this span started: an Activity current later is inside this span if its parent
    // chain leads here (AmbientContext.ResolveParent).
    internal Activity? AmbientActivity;
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
    private static readonly Action<Task, object?> s_endTracked = static (task, span) => ((ActiveSpan)span!).EndWithTask(task);

    internal ActiveSpan() { }

    /// <summary>This span's context, as children and outgoing requests see it.</summary>
    public SpanContext Context => new(Record.TraceId, Record.SpanId, Record.TraceFlags, Record.TraceState);

    internal void Begin(SpanDescriptor? descriptor, string name, ActivityKind kind, in SpanContext parent, Baggage baggage) =>
        Begin(descriptor, name, kind, parent, baggage, SpanStack.Current);

    internal void Begin(SpanDescriptor? descriptor, string name, ActivityKind kind, in SpanContext parent, Baggage baggage, SpanStack thread)
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
        // tail sampling records unsampled spans too, so that its policy can still keep their trace. A trace
        // id made here is all random (RandomIds), so the span says so with the W3C random-trace-id flag;
        // a continued trace keeps its parent's.
        record.TraceFlags = HeadDecision.Decide(parent, record.TraceId, out bool recording);
        if (!parent.TraceId.IsValid)
        {
            record.TraceFlags |= TraceParent.RandomTraceIdFlag;
        }
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
            SpanSink.OnEnd(Record);
        }
        Record.ReleaseCollections();
        Record.StatusMessage = null;
        Record.TraceState = null;
        AmbientActivity = null;
        // A pooled span must not keep the last exception (and all it references) alive until its next use.
        Thrown = null;
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
            EndWithTask(task);
            return;
        }
        // Registered under the default execution context: ending a span needs no async-locals, and a
        // continuation made under any other context keeps a copy of it (80 bytes) and switches to it to run.
        ExecutionContext? current = ExecutionContext.Capture();
        ExecutionContext? empty = DefaultExecutionContext;
        if (current is null || empty is null || ReferenceEquals(current, empty))
        {
            EndAfter(task);
            return;
        }
        EndAfter(task, empty, current);
    }

    /// <summary>
    /// <see cref="EndAfter(Task)"/> registered under <paramref name="empty"/> (the default context, so that the
    /// continuation keeps no copy of another), then <paramref name="next"/> made the thread's context.
    /// </summary>
    internal void EndAfter(Task task, ExecutionContext empty, ExecutionContext next)
    {
        ExecutionContext.Restore(empty);
        try
        {
            EndAfter(task);
        }
        finally
        {
            ExecutionContext.Restore(next);
        }
    }

    /// <summary>
    /// Ends this span when <paramref name="task"/> completes, from a continuation registered here and now (the caller
    /// chooses the execution context it captures: see <see cref="EndWhenComplete"/>).
    /// </summary>
    internal void EndAfter(Task task) =>
        // A synchronous ContinueWith, not an await-style callback: a task runs only its first await-style
        // continuation inline and queues the others to the thread pool, so a callback registered here
        // would push the caller's own await onto another thread, one thread-pool hop per awaited traced
        // call. Synchronous ContinueWith continuations run inline and in order, this one first.
        task.ContinueWith(s_endTracked, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>The runtime's default (empty) execution context, or null where it cannot be had.</summary>
    internal static ExecutionContext? DefaultExecutionContext => DefaultContext.Value;

    // The runtime's default (empty) execution context, as a thread that never had one captures it; probed on
    // the first async span, so that a program with synchronous spans only never starts the probe thread.
    private static class DefaultContext
    {
        public static readonly ExecutionContext? Value = Capture();

        private static ExecutionContext? Capture()
        {
            try
            {
                ExecutionContext? captured = null;
                // UnsafeStart: the new thread does not inherit this thread's context.
                var thread = new Thread(() => captured = ExecutionContext.Capture()) { IsBackground = true, Name = "OtelGen context probe" };
                thread.UnsafeStart();
                thread.Join();
                return captured;
            }
            catch
            {
                return null; // no threads here (e.g. a browser runtime): continuations keep their contexts
            }
        }
    }

    /// <summary>Records how <paramref name="task"/> ended (fault, cancellation), ends this span and returns it to the pool.</summary>
    internal void EndWithTask(Task task)
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
