using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using OtelGen.Jobs;

namespace BlogServer;

/// <summary>
/// A bounded queue in front of a fixed number of workers: at most <c>workers</c> effects run at once and
/// at most <c>capacity</c> wait; callers beyond that wait to enqueue (backpressure). Each effect is an
/// OtelGen job (<see cref="Job.EnqueueEffect"/>): its CLIENT span (<c>db.get blog_post</c>) starts when
/// it is enqueued and records <c>job.enqueued</c>, <c>job.taken</c>, <c>job.started</c>, <c>job.parked</c>
/// (waiting for I/O while holding a worker), <c>job.resumed</c>, <c>job.completed</c>. Under load the
/// queue wait and the parks cross the promotion thresholds (<c>OTELGEN_PROMOTE_QUEUE_MS</c>,
/// <c>OTELGEN_PROMOTE_PARK_MS</c>, 5 ms by default) and <c>job.queue_wait</c> / <c>job.park</c> spans appear.
/// </summary>
public sealed class EffectQueue : IAsyncDisposable
{
    private const string QueueName = "effects";
    private readonly Channel<WorkItem> _channel;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private int _busy;

    /// <summary>Starts <paramref name="workers"/> workers over a queue of <paramref name="capacity"/>.</summary>
    public EffectQueue(int workers, int capacity)
    {
        _channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        _workers = new Task[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    /// <summary>How many workers run effects.</summary>
    public int Workers => _workers.Length;

    /// <summary>
    /// Runs <paramref name="effect"/> on a worker as the effect <c>{operation} {target}</c> (a CLIENT span,
    /// child of the caller's current span; spans the effect starts are its children).
    /// </summary>
    public async Task<T> RunAsync<T>(string operation, string target, Func<Task<T>> effect, Action<WorkItem>? enrich = null)
    {
        var item = new WorkItem<T>(effect);
        item.Job = Job.EnqueueEffect(operation, target, QueueName, _channel.Reader.Count + 1);
        enrich?.Invoke(item);
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
                    item.Job.Taken(_channel.Reader.Count);
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

    /// <summary>A queued effect. Its <see cref="Job"/> is a mutable struct: it lives here and is only used in place.</summary>
    public abstract class WorkItem
    {
        /// <summary>The effect's lifecycle.</summary>
        public Job Job;

        internal abstract Task RunAsync(int busy, int workers);
        internal abstract void Cancel();
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
                using (Job.RunInFlow())
                {
                    Task<T> work = _effect();
                    if (!work.IsCompleted)
                    {
                        // Waiting for I/O while holding one of the workers: a park, with the limit that applied.
                        Job.Parked(ParkCause.IoWait, limitCurrent: busy, limitMax: workers);
                        try
                        {
                            await work.ConfigureAwait(false);
                        }
                        finally
                        {
                            Job.Resumed();
                        }
                    }
                    result = await work.ConfigureAwait(false);
                }
                Job.Completed(success: true);
                _done.TrySetResult(result);
            }
            catch (Exception ex)
            {
                Job.Failed(ex);
                _done.TrySetException(ex);
            }
        }

        internal override void Cancel()
        {
            Job.Completed(success: false);
            _done.TrySetCanceled();
        }
    }
}
