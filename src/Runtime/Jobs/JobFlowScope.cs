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
    private readonly ActiveSpan? _job;
    private readonly int _jobGeneration;
    private readonly ActiveSpan? _segment;
    private readonly int _segmentGeneration;

    internal JobFlowScope(ActiveSpan job, SpanDescriptor? segment)
    {
        _job = job;
        _jobGeneration = job.Generation;
        SpanContexts.SetFlow(job, FlowNode.Current.Value, ExecutionContext.Capture());
        if (segment is not null)
        {
            ActiveSpan span = JobSpanPool.Rent();
            span.Begin(segment, segment.Name, segment.Kind, job.Context, job.Baggage);
            SpanContexts.SetFlow(span, job.Flow, ExecutionContext.Capture());
            _segment = span;
            _segmentGeneration = span.Generation;
        }
        else
        {
            _segment = null;
            _segmentGeneration = 0;
        }
    }

    /// <summary>The context of the current span of this run (the job's span or its resume segment).</summary>
    public SpanContext Context =>
        _segment is { } s && s.Generation == _segmentGeneration ? s.Context :
        _job is { } j && j.Generation == _jobGeneration ? j.Context : default;

    /// <summary>Ends the resume segment, if any, and puts the flow's previous context back. Safe to call twice.</summary>
    public void Dispose()
    {
        if (_segment is { } segment && segment.Generation == _segmentGeneration && segment.IsOpen)
        {
            SpanContexts.RestoreFlow(segment);
            segment.End();
            JobSpanPool.Return(segment);
        }
        if (_job is { } job && job.Generation == _jobGeneration)
        {
            SpanContexts.RestoreFlow(job);
        }
    }
}
