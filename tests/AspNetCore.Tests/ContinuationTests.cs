using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// How a traced async call hands control back: the span must end with the task without changing where
/// the caller's <c>await</c> continues. Under load, a continuation pushed to the thread pool costs a
/// thread hop per traced call (the BlogServer post route has two), and waits until the completing
/// thread finishes whatever it is doing.
/// </summary>
public sealed class ContinuationTests
{
    private static readonly SpanDescriptor Step = new("test.continuation_step", ActivityKind.Internal);

    [Fact]
    public Task Awaiting_a_tracked_task_continues_inline_on_the_completing_thread_after_the_span_ended() =>
        // On the thread pool, as in a server: xunit's synchronization context would post every continuation.
        Task.Run(AwaitTrackedAsync);

    private static async Task AwaitTrackedAsync()
    {
        var done = new TaskCompletionSource<int>();
        AsyncSpanScope span = AsyncSpanScope.Start(Step);
        TraceId traceId = span.Context.TraceId;
        Task<int> tracked = span.Track(done.Task);

        int completingThread = 0;
        bool completerReturned = false;
        Task completer = Task.Run(async () =>
        {
            await Task.Delay(20);
            completingThread = Environment.CurrentManagedThreadId;
            done.SetResult(42);
            // If the awaiting caller was queued instead of run inline, it can only run after this.
            Volatile.Write(ref completerReturned, true);
            Thread.Sleep(200);
        });

        Assert.Equal(42, await tracked);
        bool ranInline = !Volatile.Read(ref completerReturned);
        int continuationThread = Environment.CurrentManagedThreadId;
        // The span ended before the caller went on: it is already in the ring.
        bool spanEnded = Tracing.Ring.Snapshot().Any(s => s.TraceId == traceId && s.Name == "test.continuation_step");
        await completer;

        Assert.True(ranInline, "the caller's await continuation was queued to the thread pool instead of running inline");
        Assert.Equal(completingThread, continuationThread);
        Assert.True(spanEnded);
    }
}
