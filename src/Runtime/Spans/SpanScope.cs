using System;
using System.Diagnostics;
using System.Threading.Tasks;
using System.Threading;
using System.Runtime.CompilerServices;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// A synchronous span from start to <see cref="Dispose"/>: what generated interceptors and spans started
/// from code use. A ref struct, so it cannot be carried across an
/// <c>await</c> or into another thread: its span lives on this thread's stack and costs no allocation.
/// </summary>
public ref struct SpanScope
{
    private readonly SpanRef _span;

    internal SpanScope(ActiveSpan span)
    {
        _span = new SpanRef(span);
    }

    /// <summary>Starts a span for a synchronous body that does not fork work to other threads.</summary>
    // Not inlined (nor StartFlow, Dispose): inlined, they made each traced frame of the generated code hold
    // 176 bytes of stack, and deep recursion through traced methods must survive about as deep as without.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SpanScope Start(SpanDescriptor descriptor) => Start(descriptor, descriptor.Name, descriptor.Kind, flow: false);

    /// <summary>
    /// Starts a span for a synchronous body that forks work (Task.Run, Parallel, threads) or that the
    /// generator cannot see: the span is also made current for the async flow, so forked work finds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SpanScope StartFlow(SpanDescriptor descriptor) => Start(descriptor, descriptor.Name, descriptor.Kind, flow: true);

    internal static SpanScope Start(SpanDescriptor? descriptor, string name, ActivityKind kind, bool flow)
    {
        if (!SpanSink.IsEnabled)
        {
            return default;
        }
        SpanStack stack = SpanStack.Current;
        SpanContext parent = AmbientContext.ResolveParent(stack, out ExecutionContext? executionContext, out FlowNode? node, out Baggage baggage, out Activity? ambient);
        ActiveSpan span = stack.Push();
        span.Begin(descriptor, name, kind, parent, baggage, stack);
        span.AmbientActivity = ambient;
        if (flow)
        {
            AmbientContext.SetFlow(span, node, executionContext);
        }
        else
        {
            span.PushedUnder = executionContext;
            span.Flow = node;
        }
        return new SpanScope(span);
    }

    /// <summary>False when tracing is off (or the scope was ended): the setters then do nothing.</summary>
    public readonly bool IsRecording => Live is { Recording: true };

    /// <summary>This span's context (default when tracing is off).</summary>
    public readonly SpanContext Context => Live is { } s ? s.Context : default;

    /// <summary>The span, for events, links, arrays and status.</summary>
    public readonly SpanHandle Span => new(Live);

    private readonly ActiveSpan? Live => _span.Live;

    /// <summary>The open span behind this scope, or null (for helpers such as HttpServerSpan).</summary>
    internal readonly ActiveSpan? LiveSpan => Live;

    /// <summary>Sets a string attribute.</summary>
    public readonly void SetAttribute(string key, string? value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets an integer attribute.</summary>
    public readonly void SetAttribute(string key, long value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets a floating-point attribute.</summary>
    public readonly void SetAttribute(string key, double value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets a boolean attribute.</summary>
    public readonly void SetAttribute(string key, bool value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets an attribute of any supported type.</summary>
    public readonly void SetAttribute(string key, AttributeValue value) => Live?.Record.SetAttribute(key, value);

    /// <summary>Records an exception: the <c>exception</c> event, <c>error.type</c> and ERROR status (UNSET for optional effects).</summary>
    public readonly void RecordException(Exception exception) => Live?.RecordException(exception);

    /// <summary>
    /// For an exception filter around the traced call (<c>catch (Exception e) when (scope.FilterException(e))</c>):
    /// records the exception and returns false, so it passes on untouched. No catch and rethrow: one first-chance
    /// notification per throw and no extra stack per traced frame while it unwinds. Filters run before any
    /// <c>finally</c>, so the span stays open (and current) until unwinding reaches <see cref="Dispose"/>.
    /// </summary>
    public readonly bool FilterException(Exception exception)
    {
        Live?.RecordException(exception);
        return false;
    }

    /// <summary>Sets the status.</summary>
    public readonly void SetStatus(SpanStatusCode code, string? description = null)
    {
        if (Live is { } span)
        {
            span.Record.StatusCode = code;
            span.Record.StatusMessage = code == SpanStatusCode.Error ? description : null;
        }
    }

    /// <summary>Ends the span and makes its parent current again. Safe to call twice.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Dispose()
    {
        ActiveSpan? span = Live;
        if (span is null)
        {
            return;
        }
        AmbientContext.RestoreFlow(span);
        span.End();
        (span.Owner ?? SpanStack.Current).Pop(span);
    }
}

/// <summary>
/// A span around an asynchronous call: started before the call, made current for the call's flow, and
/// ended when the returned task completes (faulted and cancelled tasks included). Used by generated
/// interceptors for methods returning <c>Task</c>, <c>Task&lt;T&gt;</c>, <c>ValueTask</c> and <c>ValueTask&lt;T&gt;</c>:
/// <code>
/// var span = AsyncSpanScope.Start(Descriptor);
/// bool tracked = false;
/// try { Task&lt;int&gt; task = target.WorkAsync(x); tracked = true; return span.Track(task); }
/// catch (Exception ex) when (span.FilterException(ex)) { throw; }
/// finally { if (!tracked) span.Dispose(); }
/// </code>
/// <see cref="Track(Task)"/> and <see cref="Dispose"/> first put the caller's flow back (the span stays
/// current only inside the call), then end the span when the task completes (or at once).
/// </summary>
public readonly struct AsyncSpanScope : IDisposable
{
    private readonly SpanRef _span;

    private AsyncSpanScope(ActiveSpan span)
    {
        _span = new SpanRef(span);
    }

    /// <summary>Starts the span and makes it current for the flow of the call that follows.</summary>
    public static AsyncSpanScope Start(SpanDescriptor descriptor) => Start(descriptor, descriptor.Name, descriptor.Kind);

    internal static AsyncSpanScope Start(SpanDescriptor? descriptor, string name, ActivityKind kind)
    {
        if (!SpanSink.IsEnabled)
        {
            return default;
        }
        SpanStack stack = SpanStack.Current;
        SpanContext parent = AmbientContext.ResolveParent(stack, out ExecutionContext? executionContext, out FlowNode? node, out Baggage baggage, out Activity? ambient);
        ActiveSpan.WatchThrows();
        ActiveSpan span = ActiveSpanPool.Rent();
        span.Begin(descriptor, name, kind, parent, baggage, stack);
        span.AmbientActivity = ambient;
        AmbientContext.SetFlow(span, node, executionContext);
        // The context just made has this span's node and the same Activity.Current: a span the call starts before
        // its first await (a nested async span) finds its parent here without reading the async-locals again.
        stack.Remember(span.AfterSet, span.Flow, ambient);
        return new AsyncSpanScope(span);
    }

    private ActiveSpan? Live => _span.Live;

    /// <summary>The open span behind this scope, or null (for helpers such as HttpServerSpan).</summary>
    internal ActiveSpan? LiveSpan => Live;

    /// <summary>False when tracing is off: the setters then do nothing.</summary>
    public bool IsRecording => Live is { Recording: true };

    /// <summary>This span's context (default when tracing is off).</summary>
    public SpanContext Context => Live is { } s ? s.Context : default;

    /// <summary>
    /// The baggage that was current when this span started and travels with its context (empty when
    /// tracing is off): what an outgoing call made under this span sends on, without looking the current
    /// context up again.
    /// </summary>
    public Baggage Baggage => Live is { } s ? s.Baggage : Baggage.Empty;

    /// <summary>The span, for events, links, arrays and status.</summary>
    public SpanHandle Span => new(Live);

    /// <summary>
    /// Ends a span started from code (<see cref="Tracing.StartAsyncSpan"/>), or one whose call threw instead of
    /// returning a task, and makes its parent current again. Not for spans handed to <see cref="Track(Task)"/>,
    /// which end with their task.
    /// </summary>
    public void Dispose()
    {
        if (Live is { } span)
        {
            AmbientContext.RestoreFlow(span);
            span.End();
            ActiveSpanPool.Return(span);
        }
    }

    /// <summary>Sets a string attribute (before the call, or from its continuation).</summary>
    public void SetAttribute(string key, string? value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets an integer attribute.</summary>
    public void SetAttribute(string key, long value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets a floating-point attribute.</summary>
    public void SetAttribute(string key, double value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets a boolean attribute.</summary>
    public void SetAttribute(string key, bool value) => Live?.Record.SetAttribute(key, AttributeValue.Of(value));
    /// <summary>Sets an attribute of any supported type.</summary>
    public void SetAttribute(string key, AttributeValue value) => Live?.Record.SetAttribute(key, value);

    /// <summary>
    /// For an exception filter around a call that threw before returning a task: records the exception and
    /// returns false, so it passes on untouched; <see cref="Dispose"/> in a <c>finally</c> then ends the span
    /// once the call's frames have unwound (see <see cref="SpanScope.FilterException"/>).
    /// </summary>
    public bool FilterException(Exception exception)
    {
        Live?.RecordException(exception);
        return false;
    }

    /// <summary>The call threw before returning a task: put the caller's flow back, record it and end the span.</summary>
    public void Fail(Exception exception)
    {
        if (Live is { } span)
        {
            AmbientContext.RestoreFlow(span);
            span.RecordException(exception);
            span.End();
            ActiveSpanPool.Return(span);
        }
    }

    /// <summary>Ends the span when <paramref name="task"/> completes and returns the same task.</summary>
    public Task Track(Task task)
    {
        if (Live is { } span)
        {
            AmbientContext.RestoreFlowAndEndWhenComplete(span, task);
        }
        return task;
    }

    /// <summary>Ends the span when <paramref name="task"/> completes and returns the same task.</summary>
    public Task<T> Track<T>(Task<T> task)
    {
        if (Live is { } span)
        {
            AmbientContext.RestoreFlowAndEndWhenComplete(span, task);
        }
        return task;
    }

    /// <summary>
    /// As <see cref="Track(Task)"/>, for the task of an <c>async</c> method (generated code uses it where the method is
    /// declared <c>async</c> and has no builder of its own): the method completes its task in its own flow, which the
    /// span makes, so the span ends as a thread leaves that flow after completion, before the caller's code resumes,
    /// without a continuation on the task (one allocation and a list of continuations less per call).
    /// </summary>
    public Task TrackAsyncMethod(Task task)
    {
        if (Live is { } span)
        {
            AmbientContext.RestoreFlowAndEndWhenLeft(span, task);
        }
        return task;
    }

    /// <summary>As <see cref="Track{T}(Task{T})"/>, for the task of an <c>async</c> method (see <see cref="TrackAsyncMethod(Task)"/>).</summary>
    public Task<T> TrackAsyncMethod<T>(Task<T> task)
    {
        if (Live is { } span)
        {
            AmbientContext.RestoreFlowAndEndWhenLeft(span, task);
        }
        return task;
    }

    /// <summary>Ends the span when <paramref name="task"/> completes; a completed one ends it now without allocating.</summary>
    public ValueTask Track(ValueTask task)
    {
        if (Live is not { } span)
        {
            return task;
        }
        AmbientContext.RestoreFlow(span);
        if (task.IsCompletedSuccessfully)
        {
            span.End();
            ActiveSpanPool.Return(span);
            return task;
        }
        Task asTask = task.AsTask();
        span.EndWhenComplete(asTask);
        return new ValueTask(asTask);
    }

    /// <summary>Ends the span when <paramref name="task"/> completes; a completed one ends it now without allocating.</summary>
    public ValueTask<T> Track<T>(ValueTask<T> task)
    {
        if (Live is not { } span)
        {
            return task;
        }
        AmbientContext.RestoreFlow(span);
        if (task.IsCompletedSuccessfully)
        {
            span.End();
            ActiveSpanPool.Return(span);
            return task;
        }
        Task<T> asTask = task.AsTask();
        span.EndWhenComplete(asTask);
        return new ValueTask<T>(asTask);
    }
}
