using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using OtelGen;
using OtelGen.Spans;

namespace BlogServer;

/// <summary>
/// A bounded queue in front of a fixed number of workers: at most <c>workers</c> effects run at once and
/// at most <c>capacity</c> wait; callers beyond that wait to enqueue (backpressure). Under load, effects
/// wait in the queue, and the lifecycle events on their spans (enqueued, taken, started, completed) show
/// where the time went.
/// </summary>
public sealed class EffectQueue : IAsyncDisposable
{
    private readonly Channel<WorkItem> _channel;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Starts <paramref name="workers"/> workers over a queue of <paramref name="capacity"/>.</summary>
    public EffectQueue(int workers, int capacity)
    {
        _channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
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
    /// Runs <paramref name="effect"/> on a worker, in the caller's trace context (so spans it starts, an
    /// HttpClient call, are children of the caller's span), and records the lifecycle on the caller's
    /// span: <c>enqueued</c>, <c>taken</c>, <c>started</c>.
    /// </summary>
    public Task<T> RunAsync<T>(Func<Task<T>> effect)
    {
        SpanHandle span = Tracer.CurrentSpan;
        span.AddEvent("enqueued");
        var item = new WorkItem<T>(effect, span);
        ValueTask write = _channel.Writer.WriteAsync(item);
        return write.IsCompletedSuccessfully ? item.Task : WaitAsync(write, item);
    }

    private static async Task<T> WaitAsync<T>(ValueTask write, WorkItem<T> item)
    {
        await write.ConfigureAwait(false);
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
                    await item.RunAsync().ConfigureAwait(false);
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

    private abstract class WorkItem
    {
        public abstract Task RunAsync();
        public abstract void Cancel();
    }

    private sealed class WorkItem<T> : WorkItem
    {
        private readonly Func<Task<T>> _effect;
        private readonly SpanHandle _span;
        // The caller's context: the effect runs as if called inline, so its children parent correctly.
        private readonly ExecutionContext? _context = ExecutionContext.Capture();
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WorkItem(Func<Task<T>> effect, SpanHandle span)
        {
            _effect = effect;
            _span = span;
        }

        public Task<T> Task => _done.Task;

        public override async Task RunAsync()
        {
            _span.AddEvent("taken");
            Task<T> work;
            try
            {
                work = Start();
            }
            catch (Exception ex)
            {
                _done.TrySetException(ex);
                return;
            }
            try
            {
                _done.TrySetResult(await work.ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                _done.TrySetException(ex);
            }
        }

        public override void Cancel() => _done.TrySetCanceled();

        private Task<T> Start()
        {
            if (_context is null)
            {
                _span.AddEvent("started");
                return _effect();
            }
            Task<T>? started = null;
            ExecutionContext.Run(_context, static state =>
            {
                var self = (WorkItem<T>)state!;
                self._span.AddEvent("started");
                self._startedTask = self._effect();
            }, this);
            started = _startedTask;
            _startedTask = null;
            return started!;
        }

        private Task<T>? _startedTask;
    }
}
