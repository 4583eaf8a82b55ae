using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace OtelGen.ServerComparison;

/// <summary>
/// samples/BlogServer's EffectQueue with its job lifecycle recorded on an <see cref="Activity"/> instead of an
/// OtelGen job, span for span and event for event: a CLIENT Activity <c>{operation} {target}</c> started when the
/// effect is enqueued (a child of the caller's current Activity), with the attributes OtelGen's effect descriptor
/// carries, the events <c>job.enqueued</c>, <c>job.taken</c>, <c>job.started</c>, <c>job.parked</c>,
/// <c>job.resumed</c>, <c>job.completed</c> with their attributes, the derived durations as attributes at the end,
/// and a promoted <c>job.queue_wait</c> / <c>job.park</c> child past OtelGen's thresholds (the same variables,
/// <c>OTELGEN_PROMOTE_QUEUE_MS</c> and <c>OTELGEN_PROMOTE_PARK_MS</c>, default 5 ms).
/// </summary>
public sealed class ActivityEffectQueue : IAsyncDisposable
{
    private const string QueueName = "effects";

    /// <summary>Queue waits at least this long become a <c>job.queue_wait</c> span.</summary>
    public static TimeSpan PromoteQueue { get; set; } = Threshold("OTELGEN_PROMOTE_QUEUE_MS");

    /// <summary>Parks at least this long become a <c>job.park</c> span.</summary>
    public static TimeSpan PromotePark { get; set; } = Threshold("OTELGEN_PROMOTE_PARK_MS");

    private static TimeSpan Threshold(string variable) =>
        TimeSpan.FromMilliseconds(double.TryParse(Environment.GetEnvironmentVariable(variable), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double ms) && ms >= 0 ? ms : 5);
    private readonly Channel<WorkItem> _channel;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private int _busy;

    /// <summary>Starts <paramref name="workers"/> workers over a queue of <paramref name="capacity"/>.</summary>
    public ActivityEffectQueue(int workers, int capacity)
    {
        _channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        _workers = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    /// <summary>
    /// Runs <paramref name="effect"/> on a worker as the effect <c>{operation} {target}</c> (OtelGen's
    /// <c>Job.EnqueueEffect</c> and <c>RunInFlow</c>, recorded with <paramref name="source"/>).
    /// </summary>
    public async Task<T> RunAsync<T>(ActivitySource source, string operation, string target, Func<Task<T>> effect, Action<Activity>? enrich = null)
    {
        var item = new WorkItem<T>(effect);
        item.Enqueue(source, operation, target, _channel.Reader.Count + 1);
        if (item.Activity is { } activity)
        {
            enrich?.Invoke(activity);
        }
        await _channel.Writer.WriteAsync(item).ConfigureAwait(false);
        return await item.Task.ConfigureAwait(false);
    }

    private async Task WorkAsync()
    {
        try
        {
            while (await _channel.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (_channel.Reader.TryRead(out WorkItem? item))
                {
                    item.Taken(_channel.Reader.Count);
                    int busy = Interlocked.Increment(ref _busy);
                    try
                    {
                        await item.RunAsync(busy, _workers.Length).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _busy);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the workers; effects still queued are cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        _stop.Cancel();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        while (_channel.Reader.TryRead(out WorkItem? item))
        {
            item.Cancel();
        }
        _stop.Dispose();
    }

    /// <summary>A queued effect and its lifecycle, recorded on <see cref="Activity"/> (null when not sampled).</summary>
    public abstract class WorkItem
    {
        // Span names made once, as OtelGen's effect descriptors are.
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Operation, string Target), string> Names = new();
        private ActivitySource? _source;
        private DateTime _enqueuedAt;
        private DateTime _takenAt;
        private DateTime _startedAt;
        private DateTime _parkedAt;
        private TimeSpan _parkTotal;
        private int _parkCount;
        private int _enqueueDepth;
        private int _limitCurrent;
        private int _limitMax;

        /// <summary>The effect's span.</summary>
        public Activity? Activity { get; private set; }

        internal void Enqueue(ActivitySource source, string operation, string target, int depth)
        {
            _source = source;
            _enqueuedAt = DateTime.UtcNow;
            _enqueueDepth = depth;
            Activity? caller = Activity.Current;
            // Started at enqueue as a child of the caller's span, then the caller's span is current again (the
            // effect runs on a worker, where RunAsync makes it current).
            string name = Names.GetOrAdd((operation, target), static key => key.Operation + " " + key.Target);
            Activity = source.StartActivity(ActivityKind.Client, name: name, startTime: _enqueuedAt);
            Activity.Current = caller;
            if (Activity is { } activity)
            {
                SetEffectTags(activity, operation, target);
                activity.SetTag("job.queue", QueueName);
            }
        }

        internal void Taken(int depth)
        {
            _takenAt = DateTime.UtcNow;
            if (Activity is not { } activity)
            {
                return;
            }
            var enqueued = new ActivityTagsCollection { ["job.queue"] = QueueName, ["job.queue_depth"] = (long)_enqueueDepth };
            var taken = new ActivityTagsCollection { ["job.queue_depth"] = (long)depth };
            if (_takenAt - _enqueuedAt >= PromoteQueue)
            {
                Activity promoted = Promote(activity, "job.queue_wait", _enqueuedAt, _takenAt);
                promoted.SetTag("job.queue", QueueName);
                promoted.SetTag("job.queue_depth.start", (long)_enqueueDepth);
                promoted.SetTag("job.queue_depth.end", (long)depth);
                promoted.AddEvent(new ActivityEvent("job.enqueued", _enqueuedAt, enqueued));
                promoted.AddEvent(new ActivityEvent("job.taken", _takenAt, taken));
                promoted.Stop();
            }
            else
            {
                activity.AddEvent(new ActivityEvent("job.enqueued", _enqueuedAt, enqueued));
                activity.AddEvent(new ActivityEvent("job.taken", _takenAt, taken));
            }
        }

        internal void Started()
        {
            _startedAt = DateTime.UtcNow;
            Activity?.AddEvent(new ActivityEvent("job.started", _startedAt));
        }

        internal void Parked(int limitCurrent, int limitMax)
        {
            _parkedAt = DateTime.UtcNow;
            _parkCount++;
            _limitCurrent = limitCurrent;
            _limitMax = limitMax;
        }

        internal void Resumed()
        {
            DateTime now = DateTime.UtcNow;
            TimeSpan episode = now - _parkedAt;
            _parkTotal += episode;
            if (Activity is not { } activity)
            {
                return;
            }
            var parked = new ActivityTagsCollection { ["job.park.cause"] = "io_wait", ["job.limit.current"] = (long)_limitCurrent, ["job.limit.max"] = (long)_limitMax };
            var resumed = new ActivityTagsCollection { ["job.park.wait_ms"] = episode.TotalMilliseconds };
            Activity target = activity;
            if (episode >= PromotePark)
            {
                target = Promote(activity, "job.park", _parkedAt, now);
                target.SetTag("job.queue", QueueName);
                target.SetTag("job.park.cause", "io_wait");
                target.SetTag("job.limit.current", (long)_limitCurrent);
                target.SetTag("job.limit.max", (long)_limitMax);
            }
            target.AddEvent(new ActivityEvent("job.parked", _parkedAt, parked));
            target.AddEvent(new ActivityEvent("job.resumed", now, resumed));
            if (!ReferenceEquals(target, activity))
            {
                target.Stop();
            }
        }

        internal void Completed(bool success, Exception? exception = null)
        {
            DateTime now = DateTime.UtcNow;
            if (Activity is not { } activity)
            {
                return;
            }
            activity.SetTag("job.queue_wait_ms", (_takenAt - _enqueuedAt).TotalMilliseconds);
            activity.SetTag("job.dispatch_ms", (_startedAt - _takenAt).TotalMilliseconds);
            activity.SetTag("job.park_wait_ms_total", _parkTotal.TotalMilliseconds);
            activity.SetTag("job.run_active_ms", Math.Max(0, (now - _startedAt - _parkTotal).TotalMilliseconds));
            activity.SetTag("job.park_count", (long)_parkCount);
            if (exception is not null)
            {
                activity.AddException(exception);
                activity.SetTag("error.type", exception.GetType().FullName);
            }
            activity.AddEvent(new ActivityEvent("job.completed", now, new ActivityTagsCollection { ["job.success"] = success }));
            if (!success)
            {
                activity.SetTag("error.type", exception?.GetType().FullName ?? "_OTHER");
                activity.SetStatus(ActivityStatusCode.Error);
            }
            activity.SetEndTime(now);
            Activity? current = Activity.Current;
            activity.Stop();
            Activity.Current = current;
        }

        // A child span over [start, end], as OtelGen promotes a long wait; the caller adds its tags and events.
        private Activity Promote(Activity parent, string name, DateTime start, DateTime end)
        {
            Activity? current = Activity.Current;
            Activity? promoted = _source!.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: start);
            Activity.Current = current;
            promoted ??= new Activity(name);
            promoted.SetEndTime(end);
            return promoted;
        }

        // The constant attributes of OtelGen's effect descriptor (Jobs/JobNames.Effect) for operation "system.verb".
        private static void SetEffectTags(Activity activity, string operation, string target)
        {
            int dot = operation.IndexOf('.');
            string system = operation.Substring(0, dot);
            string verb = operation.Substring(dot + 1);
            if (system == "db")
            {
                activity.SetTag("db.operation.name", verb);
                activity.SetTag("db.collection.name", target);
            }
            else if (system == "http")
            {
                activity.SetTag("http.request.method", verb.ToUpperInvariant());
            }
            activity.SetTag("otelgen.effect.system", system);
            activity.SetTag("otelgen.effect.operation", verb);
            activity.SetTag("otelgen.effect.target", target);
        }

        internal abstract Task RunAsync(int busy, int workers);

        internal void Cancel() => Completed(success: false);
    }

    private sealed class WorkItem<T> : WorkItem
    {
        private readonly Func<Task<T>> _effect;
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WorkItem(Func<Task<T>> effect) => _effect = effect;

        public Task<T> Task => _done.Task;

        internal override async Task RunAsync(int busy, int workers)
        {
            try
            {
                T result;
                Started();
                Activity? previous = Activity.Current;
                // The effect's span is current for its body (OtelGen's Job.RunInFlow).
                Activity.Current = Activity;
                try
                {
                    Task<T> work = _effect();
                    if (!work.IsCompleted)
                    {
                        Parked(busy, workers);
                        try
                        {
                            await work.ConfigureAwait(false);
                        }
                        finally
                        {
                            Resumed();
                        }
                    }
                    result = await work.ConfigureAwait(false);
                }
                finally
                {
                    Activity.Current = previous;
                }
                Completed(success: true);
                _done.TrySetResult(result);
            }
            catch (Exception ex)
            {
                Completed(success: false, ex);
                _done.TrySetException(ex);
            }
        }
    }
}
