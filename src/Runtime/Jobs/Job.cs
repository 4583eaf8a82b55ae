using System;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Jobs;

/// <summary>Where a <see cref="Job"/> is in its life.</summary>
public enum JobState : byte
{
    /// <summary>Not enqueued (a default <see cref="Job"/>).</summary>
    None = 0,
    /// <summary>Waiting in its queue.</summary>
    Queued,
    /// <summary>Taken by a worker, not started yet.</summary>
    Taken,
    /// <summary>Running.</summary>
    Running,
    /// <summary>Parked: stopped until something it waits for happens.</summary>
    Parked,
    /// <summary>Completed (successfully or not).</summary>
    Completed,
}

/// <summary>
/// The lifecycle of one unit of work that passes through a worker queue: a step (<c>step.{name}</c>) or an
/// effect (<c>db.get blog_post</c>). <see cref="Enqueue(SpanDescriptor, string, int)"/> starts the job's
/// logical span as a child of the current span; <see cref="Taken"/>, <see cref="Started"/>,
/// <see cref="Parked"/>, <see cref="Resumed"/> and <see cref="Completed"/> record events on it (or, when a
/// queue wait or park episode crosses its threshold, a promoted <c>job.queue_wait</c> / <c>job.park</c>
/// child span that carries those events), and completion adds the derived durations as attributes.
/// <para>
/// A mutable struct, so the common path allocates nothing: keep it in a field of the queued work item (or
/// move it through the queue by value) and call its methods on that one place, never on a copy. Calls
/// happen one at a time (the queue hands the job from the enqueuing thread to the worker). Calls out of
/// order are tolerated: a missing step is filled in at the time of the next one.
/// </para>
/// </summary>
public struct Job
{
    private SpanRef _span;
    private SpanDescriptor? _descriptor;
    private string _queue;
    private long _enqueuedAt;
    private long _takenAt;
    private long _startedAt;
    private long _parkedAt;
    private long _parkTotal;
    private int _enqueueDepth;
    private int _parkCount;
    private int _limitCurrent;
    private int _limitMax;
    private string? _token;
    private ParkCause _cause;
    private JobState _state;
    private bool _resumeSegmentNext;
    private bool _statusSet;

    /// <summary>
    /// Enqueues a job: starts its logical span (as a child of the current span) and records
    /// <c>job.enqueued</c>. <paramref name="depth"/> is the queue length once the job is in it (-1 if unknown).
    /// </summary>
    public static Job Enqueue(SpanDescriptor descriptor, string queue, int depth)
    {
        long now = SpanClock.NowUnixNanos();
        var job = new Job
        {
            _descriptor = descriptor,
            _queue = queue ?? "default",
            _enqueuedAt = now,
            _enqueueDepth = depth,
            _state = JobState.Queued,
        };
        if (SpanSink.IsEnabled && descriptor is not null)
        {
            SpanContext parent = AmbientContext.ResolveParent(SpanStack.Current, out _, out _, out Baggage baggage, out System.Diagnostics.Activity? ambient);
            ActiveSpan span = ActiveSpanPool.Rent();
            span.Begin(descriptor, descriptor.Name, descriptor.Kind, parent, baggage);
            span.AmbientActivity = ambient;
            span.Record.StartUnixNano = now;
            span.Record.SetAttribute("job.queue", job._queue);
            job._span = new SpanRef(span);
        }
        return job;
    }

    /// <summary>Enqueues step <paramref name="step"/>: span <c>step.{step}</c> (see <see cref="JobNames.Step"/>).</summary>
    public static Job EnqueueStep(string step, string queue, int depth) => Enqueue(JobNames.Step(step), queue, depth);

    /// <summary>Enqueues an effect: CLIENT span <c>{operation} {target}</c>, e.g. <c>db.get blog_post</c> (see <see cref="JobNames.Effect"/>).</summary>
    public static Job EnqueueEffect(string operation, string? target, string queue, int depth, bool optional = false) =>
        Enqueue(JobNames.Effect(operation, target, optional), queue, depth);

    /// <summary>Where the job is in its life.</summary>
    public readonly JobState State => _state;

    /// <summary>The queue it went through.</summary>
    public readonly string? Queue => _queue;

    /// <summary>How many times it parked so far.</summary>
    public readonly int ParkCount => _parkCount;

    /// <summary>
    /// The job's span context, to parent work explicitly or to store with the job (a database row, a
    /// message header); default when tracing is off or the job completed.
    /// </summary>
    public readonly SpanContext Context => Live is { } span ? span.Context : default;

    private readonly ActiveSpan? Live => _span.Open;

    private readonly SpanRecord? RecordingRecord => Live is { Recording: true } s ? s.Record : null;

    /// <summary>A worker took the job off its queue; <paramref name="depth"/> is the queue length left (-1 if unknown).</summary>
    public void Taken(int depth)
    {
        if (_state != JobState.Queued)
        {
            return;
        }
        CloseQueuePhase(SpanClock.NowUnixNanos(), depth);
    }

    /// <summary>The worker started running the job.</summary>
    public void Started()
    {
        if (_state == JobState.Queued)
        {
            CloseQueuePhase(SpanClock.NowUnixNanos(), -1);
        }
        if (_state != JobState.Taken)
        {
            return;
        }
        long now = SpanClock.NowUnixNanos();
        _startedAt = now;
        _state = JobState.Running;
        RecordingRecord?.AddEvent("job.started", now);
    }

    /// <summary>
    /// Makes the job's span current on this thread until the returned scope is disposed, so spans and
    /// effects started by the running code become its children. After a park (a step that resumed), the
    /// run is a new child segment <c>step.{name}.resume</c>. Starts or resumes the job if needed.
    /// Synchronous code only (a ref struct); an async body uses <see cref="RunInFlow"/>.
    /// </summary>
    public JobRun Run() => EnterRun(out ActiveSpan? span, out SpanDescriptor? segment) ? new JobRun(span!, segment) : default;

    /// <summary>
    /// Like <see cref="Run"/>, for a body that awaits or forks: the job's span (or, after a park, its
    /// <c>step.{name}.resume</c> segment) is current for the async flow until the scope is disposed.
    /// </summary>
    public JobFlowScope RunInFlow() => EnterRun(out ActiveSpan? span, out SpanDescriptor? segment) ? new JobFlowScope(span!, segment) : default;

    // Starts or resumes the job, and says which span the run is current under: the job's own, or after a
    // park a step.{name}.resume segment. False when the job is not running (ended, or tracing off).
    private bool EnterRun(out ActiveSpan? span, out SpanDescriptor? segment)
    {
        if (_state is JobState.Queued or JobState.Taken)
        {
            Started();
        }
        else if (_state == JobState.Parked)
        {
            Resumed();
        }
        span = Live;
        segment = null;
        if (span is null || _state != JobState.Running)
        {
            return false;
        }
        segment = _resumeSegmentNext && !JobNames.IsEffect(_descriptor!) ? JobNames.Resume(_descriptor!) : null;
        _resumeSegmentNext = false;
        return true;
    }

    /// <summary>
    /// The job stopped running until something happens: <paramref name="cause"/>, what it waits for
    /// (<paramref name="token"/>, e.g. a lock name or need id), and the concurrency limit that applied
    /// (<paramref name="limitCurrent"/> in use of <paramref name="limitMax"/>; 0 when there is none).
    /// </summary>
    public void Parked(ParkCause cause, string? token = null, int limitCurrent = 0, int limitMax = 0)
    {
        if (_state is JobState.Queued or JobState.Taken)
        {
            Started();
        }
        if (_state != JobState.Running)
        {
            return;
        }
        _parkedAt = SpanClock.NowUnixNanos();
        _cause = cause;
        _token = token;
        _limitCurrent = limitCurrent;
        _limitMax = limitMax;
        _parkCount++;
        _state = JobState.Parked;
        JobMetrics.RecordPark(_queue, cause);
    }

    /// <summary>The job runs again after a park.</summary>
    public void Resumed()
    {
        if (_state != JobState.Parked)
        {
            return;
        }
        CloseParkEpisode(SpanClock.NowUnixNanos());
    }

    /// <summary>
    /// The job finished: adds the derived durations, records <c>job.completed</c>, applies the status
    /// policy and ends the span. A step is OK either way (<paramref name="success"/> false is a business
    /// outcome: use <see cref="Failed(Exception, bool)"/> for system failures); an effect that did not
    /// succeed is ERROR when required and UNSET with <c>error.type</c> when optional.
    /// </summary>
    public void Completed(bool success)
    {
        if (_state is JobState.None or JobState.Completed)
        {
            return;
        }
        long now = SpanClock.NowUnixNanos();
        if (_state == JobState.Queued)
        {
            CloseQueuePhase(now, -1);
        }
        if (_state == JobState.Taken)
        {
            _startedAt = now;
        }
        if (_state == JobState.Parked)
        {
            CloseParkEpisode(now);
        }
        _state = JobState.Completed;
        long runActive = Math.Max(0, now - _startedAt - _parkTotal);
        JobMetrics.RecordRunActive(runActive, _queue);
        ActiveSpan? span = Live;
        _span = default;
        if (span is null)
        {
            return;
        }
        if (span.Recording)
        {
            SpanRecord record = span.Record;
            record.SetAttribute("job.queue_wait_ms", Millis(_takenAt - _enqueuedAt));
            record.SetAttribute("job.dispatch_ms", Millis(_startedAt - _takenAt));
            record.SetAttribute("job.park_wait_ms_total", Millis(_parkTotal));
            record.SetAttribute("job.run_active_ms", Millis(runActive));
            record.SetAttribute("job.park_count", (long)_parkCount);
            KeyValueBuffer4 buffer = default;
            buffer[0] = new KeyValue("job.success", success);
            AddEventInOrder(record, "job.completed", now, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, 1));
            if (!_statusSet)
            {
                ApplyStatus(span, success, systemFailure: false, errorType: null);
            }
        }
        span.End();
        ActiveSpanPool.Return(span);
    }

    /// <summary>
    /// The job failed with <paramref name="exception"/>: records the <c>exception</c> event and
    /// <c>error.type</c>, applies the status policy (a step is ERROR only for a <paramref name="systemFailure"/>;
    /// an effect is ERROR when required) and completes the job.
    /// </summary>
    public void Failed(Exception exception, bool systemFailure = true)
    {
        if (RecordingRecord is { } record && exception is not null)
        {
            SpanStatusPolicy.RecordExceptionEvent(record, exception, SpanClock.NowUnixNanos());
            record.StatusMessage = exception.Message;
            ApplyStatus(Live!, false, systemFailure, SpanStatusPolicy.ErrorType(exception));
            _statusSet = true;
        }
        Completed(false);
    }

    /// <summary>The job failed for the reason <paramref name="errorType"/> (an <c>error.type</c> value such as <c>timeout</c>); see <see cref="Failed(Exception, bool)"/>.</summary>
    public void Failed(string errorType, bool systemFailure = true)
    {
        if (Live is { Recording: true } span)
        {
            ApplyStatus(span, false, systemFailure, errorType);
            _statusSet = true;
        }
        Completed(false);
    }

    /// <summary>Records <c>need.requested</c> on the job's span: it asked for <paramref name="effects"/> (kept by reference).</summary>
    public readonly void NeedRequested(string[] effects, NeedMode mode, NeedJoin join)
    {
        if (RecordingRecord is { } record)
        {
            StandardEvents.NeedRequested(record, SpanClock.NowUnixNanos(), effects, mode, join);
        }
    }

    /// <summary>Records <c>need.join</c> on the job's span: the requested effects came back.</summary>
    public readonly void NeedJoined(int completed, int failed, double durationMs)
    {
        if (RecordingRecord is { } record)
        {
            StandardEvents.NeedJoined(record, SpanClock.NowUnixNanos(), completed, failed, durationMs);
        }
    }

    /// <summary>Records <c>slot.write</c> on the job's span.</summary>
    public readonly void SlotWrite(string slot, long sizeBytes)
    {
        if (RecordingRecord is { } record)
        {
            StandardEvents.SlotWrite(record, SpanClock.NowUnixNanos(), slot, sizeBytes);
        }
    }

    /// <summary>Records <c>retry</c> on the job's span.</summary>
    public readonly void Retry(int attempt, string reason, double backoffMs)
    {
        if (RecordingRecord is { } record)
        {
            StandardEvents.Retry(record, SpanClock.NowUnixNanos(), attempt, reason, backoffMs);
        }
    }

    /// <summary>Sets an attribute on the job's span.</summary>
    public readonly void SetAttribute(string key, AttributeValue value) => RecordingRecord?.SetAttribute(key, value);

    private void CloseQueuePhase(long now, int depth)
    {
        _takenAt = now;
        _state = JobState.Taken;
        long wait = now - _enqueuedAt;
        JobMetrics.RecordQueueWait(wait, _queue);
        if (RecordingRecord is not { } record)
        {
            return;
        }
        // Decided once the phase is over (one comparison): the events go either on the job's span or on the promoted child.
        if (wait >= JobSettings.QueueThresholdNanos)
        {
            SpanRecord promoted = PromotedSpans.Begin(record, "job.queue_wait", _enqueuedAt, now);
            promoted.SetAttribute("job.queue", _queue);
            if (_enqueueDepth >= 0)
            {
                promoted.SetAttribute("job.queue_depth.start", (long)_enqueueDepth);
            }
            if (depth >= 0)
            {
                promoted.SetAttribute("job.queue_depth.end", (long)depth);
            }
            AddQueueEvents(promoted, now, depth);
            PromotedSpans.Write(promoted);
        }
        else
        {
            AddQueueEvents(record, now, depth);
        }
    }

    private readonly void AddQueueEvents(SpanRecord target, long now, int depth)
    {
        KeyValueBuffer4 buffer = default;
        buffer[0] = new KeyValue("job.queue", _queue);
        int count = 1;
        if (_enqueueDepth >= 0)
        {
            buffer[count++] = new KeyValue("job.queue_depth", (long)_enqueueDepth);
        }
        AddEventInOrder(target, "job.enqueued", _enqueuedAt, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, count));
        count = 0;
        if (depth >= 0)
        {
            buffer[count++] = new KeyValue("job.queue_depth", (long)depth);
        }
        AddEventInOrder(target, "job.taken", now, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, count));
    }

    private void CloseParkEpisode(long now)
    {
        long episode = Math.Max(0, now - _parkedAt);
        _parkTotal += episode;
        _state = JobState.Running;
        _resumeSegmentNext = true;
        JobMetrics.RecordParkWait(episode, _queue, _cause);
        if (RecordingRecord is not { } record)
        {
            return;
        }
        if (episode >= JobSettings.ParkThresholdNanos)
        {
            SpanRecord promoted = PromotedSpans.Begin(record, "job.park", _parkedAt, now);
            promoted.SetAttribute("job.queue", _queue);
            promoted.SetAttribute("job.park.cause", ParkCauses.Name(_cause));
            if (_token is not null)
            {
                promoted.SetAttribute("job.park.token", _token);
            }
            if (_limitMax > 0)
            {
                promoted.SetAttribute("job.limit.current", (long)_limitCurrent);
                promoted.SetAttribute("job.limit.max", (long)_limitMax);
            }
            AddParkEvents(promoted, now, episode);
            PromotedSpans.Write(promoted);
        }
        else
        {
            AddParkEvents(record, now, episode);
        }
    }

    private readonly void AddParkEvents(SpanRecord target, long now, long episode)
    {
        KeyValueBuffer4 buffer = default;
        buffer[0] = new KeyValue("job.park.cause", ParkCauses.Name(_cause));
        int count = 1;
        if (_token is not null)
        {
            buffer[count++] = new KeyValue("job.park.token", _token);
        }
        if (_limitMax > 0)
        {
            buffer[count++] = new KeyValue("job.limit.current", (long)_limitCurrent);
            buffer[count++] = new KeyValue("job.limit.max", (long)_limitMax);
        }
        AddEventInOrder(target, "job.parked", _parkedAt, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, count));
        buffer[0] = new KeyValue("job.park.wait_ms", Millis(episode));
        AddEventInOrder(target, "job.resumed", now, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, 1));
    }

    private readonly void ApplyStatus(ActiveSpan span, bool success, bool systemFailure, string? errorType)
    {
        SpanRecord record = span.Record;
        if (JobNames.IsEffect(_descriptor!))
        {
            bool optional = (_descriptor!.Flags & SpanFlags.Optional) != 0;
            if (!success)
            {
                if (errorType is not null || !record.TryGetAttribute("error.type", out _))
                {
                    record.SetAttribute("error.type", errorType ?? SpanStatusPolicy.OtherErrorType);
                }
            }
            record.StatusCode = SpanStatusPolicy.ForEffect(success, optional);
        }
        else
        {
            if (!success && systemFailure && errorType is not null)
            {
                record.SetAttribute("error.type", errorType);
            }
            record.StatusCode = SpanStatusPolicy.ForStep(success, systemFailure);
        }
        if (record.StatusCode != SpanStatusCode.Error)
        {
            record.StatusMessage = null;
        }
    }

    /// <summary>Adds an event and keeps the events in time order (deferred lifecycle events may be older than the last one).</summary>
    internal static void AddEventInOrder(SpanRecord record, string name, long time, ReadOnlySpan<KeyValue> attributes)
    {
        int before = record.EventCount;
        record.AddEvent(name, time, attributes);
        if (record.EventCount == before)
        {
            return;
        }
        SpanEvent[] events = record.Events;
        for (int i = record.EventCount - 1; i > 0 && events[i - 1].TimeUnixNano > events[i].TimeUnixNano; i--)
        {
            (events[i - 1], events[i]) = (events[i], events[i - 1]);
        }
    }

    private static double Millis(long nanos) => nanos / 1_000_000.0;
}
