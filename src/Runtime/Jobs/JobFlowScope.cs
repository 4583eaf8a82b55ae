using System.Diagnostics;
using System;
using System.Threading;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Jobs;

/// <summary>
/// A job running as an async flow (from <see cref="Job.RunInFlow"/>): the job's span (or its
/// <c>.resume</c> segment) is current for the flow, across <c>await</c> and into tasks it starts, until
/// disposed. Setting the async-local costs an allocation per run; synchronous bodies use <see cref="Job.Run"/>.
/// Dispose it in the flow that opened it (the same async method).
/// </summary>
public readonly struct JobFlowScope : IDisposable
{
    private readonly SpanRef _segment;
    private readonly SpanContext _context;
    // What to put back; kept here rather than on the job's span, so the flow is restored even if the
    // job completed (and its span was reused) before this scope is disposed.
    private readonly FlowNode? _previous;
    private readonly ExecutionContext? _before;
    private readonly ExecutionContext? _after;
    private readonly bool _active;

    internal JobFlowScope(ActiveSpan job, SpanDescriptor? segment)
    {
        _previous = FlowNode.Current.Value;
        _before = ExecutionContext.Capture();
        _segment = default;
        if (segment is not null)
        {
            ActiveSpan span = ActiveSpanPool.Rent();
            span.Begin(segment, segment.Name, segment.Kind, job.Context, job.Baggage);
            span.AmbientActivity = Activity.Current;
            _segment = new SpanRef(span);
            _context = span.Context;
            FlowNode.Current.Value = FlowNode.ForScope(span.Context, span, span.Baggage, span.AmbientActivity, _previous);
        }
        else
        {
            _context = job.Context;
            FlowNode.Current.Value = FlowNode.ForScope(job.Context, job, job.Baggage, Activity.Current, _previous);
        }
        _after = ExecutionContext.Capture();
        _active = true;
    }

    /// <summary>The context of the current span of this run (the job's span or its resume segment).</summary>
    public SpanContext Context => _context;

    /// <summary>Ends the resume segment, if any, and puts the flow's previous context back.</summary>
    public void Dispose()
    {
        if (!_active)
        {
            return;
        }
        if (_segment.Open is { } segment)
        {
            segment.End();
            ActiveSpanPool.Return(segment);
        }
        // Restoring the captured context costs nothing when nothing else changed it; otherwise only our
        // async-local is reset, keeping what the body set (culture, logging scopes).
        if (_before is not null && ReferenceEquals(ExecutionContext.Capture(), _after))
        {
            ExecutionContext.Restore(_before);
        }
        else if (!ReferenceEquals(FlowNode.Current.Value, _previous))
        {
            FlowNode.Current.Value = _previous;
        }
    }
}
