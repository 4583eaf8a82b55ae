using System;
using System.Threading;
using OtelGen.Context;

namespace OtelGen.Spans;

/// <summary>
/// Spans for async scopes, jobs and request spans, which outlive the stack frame that started them. A
/// per-thread pool first; such a span usually ends on another thread than it started on (a job is
/// enqueued on one thread and completed on another), so what a thread returns beyond its own share goes
/// to a shared lock-free queue, where threads that only start spans find it.
/// </summary>
internal static class ActiveSpanPool
{
    private const int MaxPerThread = 32;
    private const int MaxShared = 1024;
    private static readonly System.Collections.Concurrent.ConcurrentQueue<ActiveSpan> s_shared = new();
    private static int s_sharedCount;

    [ThreadStatic]
    private static ActiveSpan?[]? t_free;
    [ThreadStatic]
    private static int t_count;

    public static ActiveSpan Rent()
    {
        ActiveSpan?[]? free = t_free;
        if (free is not null && t_count > 0)
        {
            int index = --t_count;
            ActiveSpan span = free[index]!;
            free[index] = null;
            return span;
        }
        if (Volatile.Read(ref s_sharedCount) > 0 && s_shared.TryDequeue(out ActiveSpan? shared))
        {
            Interlocked.Decrement(ref s_sharedCount);
            return shared;
        }
        return new ActiveSpan();
    }

    public static void Return(ActiveSpan span)
    {
        if (span.OnStack || span.IsOpen)
        {
            return;
        }
        span.Baggage = Baggage.Empty;
        span.Flow = null;
        span.PreviousFlow = null;
        span.RestoreTo = null;
        span.AfterSet = null;
        span.PushedUnder = null;
        ActiveSpan?[] free = t_free ??= new ActiveSpan?[MaxPerThread];
        if (t_count < MaxPerThread)
        {
            free[t_count++] = span;
        }
        else if (Interlocked.Increment(ref s_sharedCount) <= MaxShared)
        {
            s_shared.Enqueue(span);
        }
        else
        {
            Interlocked.Decrement(ref s_sharedCount);
        }
    }
}
