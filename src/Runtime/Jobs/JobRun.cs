using System.Diagnostics;
using System.Threading;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Jobs;

/// <summary>
/// A job running on this thread (from <see cref="Job.Run"/>): while it is open, the job's span (or its
/// <c>.resume</c> segment) is the current span, so work started inside becomes its child. The job's span
/// is borrowed onto this thread's span stack, which costs no allocation; disposing puts the stack back.
/// </summary>
public ref struct JobRun
{
    private ActiveSpan? _span;
    private ActiveSpan? _displaced;
    private SpanScope _segment;

    internal JobRun(ActiveSpan span, SpanDescriptor? segment)
    {
        // Mark the span as belonging to this flow, so parent resolution takes it from the stack.
        span.PushedUnder = ExecutionContext.Capture();
        span.Flow = FlowNode.Current.Value;
        _displaced = SpanStack.Current.PushBorrowed(span);
        _span = span;
        _segment = segment is null ? default : SpanScope.Start(segment, segment.Name, segment.Kind, flow: false);
    }

    /// <summary>The context of the current span of this run (the job's span or its resume segment).</summary>
    public readonly SpanContext Context => _segment.Context.IsValid ? _segment.Context : _span is { } s ? s.Context : default;

    /// <summary>Ends the resume segment, if any, and makes the previous span current again. Safe to call twice.</summary>
    public void Dispose()
    {
        _segment.Dispose();
        _segment = default;
        if (_span is { } span)
        {
            _span = null;
            SpanStack.Current.PopBorrowed(span, _displaced);
            _displaced = null;
        }
    }
}

/// <summary>Four attributes on the stack, to pass event attributes as a span without allocating.</summary>
[System.Runtime.CompilerServices.InlineArray(4)]
internal struct KeyValueBuffer4
{
    private KeyValue _element;
}

/// <summary>Writes promoted child spans (<c>job.queue_wait</c>, <c>job.park</c>) whose start and end are already known.</summary>
internal static class PromotedSpans
{
    [System.ThreadStatic]
    private static SpanRecord? t_record;

    public static SpanRecord Begin(SpanRecord parent, string name, long start, long end)
    {
        SpanRecord record = t_record ??= new SpanRecord();
        record.Clear();
        record.TraceId = parent.TraceId;
        record.SpanId = SpanId.NewRandom();
        record.ParentSpanId = parent.SpanId;
        record.TraceFlags = parent.TraceFlags;
        record.TraceState = parent.TraceState;
        record.Name = name;
        record.Kind = ActivityKind.Internal;
        record.StartUnixNano = start;
        record.EndUnixNano = end;
        return record;
    }

    public static void Write(SpanRecord record)
    {
        SpanSink.OnEnd(record);
        record.Clear();
    }
}
