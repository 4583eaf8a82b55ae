using System.Threading;
using OtelGen.Spans;

namespace OtelGen.Jobs;

/// <summary>
/// Spans for jobs, shared by all threads: a job's span is rented where the job is enqueued and returned
/// where it completes, usually another thread, so per-thread pools would drain on one side and overflow on
/// the other. A fixed array of slots taken and filled with one interlocked exchange: no lock, no allocation.
/// </summary>
internal static class JobSpanPool
{
    private const int Size = 256;
    private static readonly ActiveSpan?[] s_slots = new ActiveSpan?[Size];

    public static ActiveSpan Rent()
    {
        int start = Start();
        for (int i = 0; i < 8; i++)
        {
            ref ActiveSpan? slot = ref s_slots[(start + i) & (Size - 1)];
            if (Volatile.Read(ref slot) is not null)
            {
                ActiveSpan? span = Interlocked.Exchange(ref slot, null);
                if (span is not null)
                {
                    return span;
                }
            }
        }
        return new ActiveSpan();
    }

    public static void Return(ActiveSpan span)
    {
        if (span.OnStack || span.IsOpen)
        {
            return;
        }
        span.Flow = null;
        span.PreviousFlow = null;
        span.RestoreTo = null;
        span.AfterSet = null;
        span.PushedUnder = null;
        span.Baggage = Context.Baggage.Empty;
        int start = Start();
        for (int i = 0; i < 8; i++)
        {
            ref ActiveSpan? slot = ref s_slots[(start + i) & (Size - 1)];
            if (Volatile.Read(ref slot) is null && Interlocked.CompareExchange(ref slot, span, null) is null)
            {
                return;
            }
        }
        // Pool full: let the collector have it.
    }

    // Spread threads over the slots so they rarely contend for the same ones.
    private static int Start() => (Thread.CurrentThread.ManagedThreadId * 8) & (Size - 1);
}
