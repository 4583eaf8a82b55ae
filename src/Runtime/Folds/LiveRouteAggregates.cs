using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using OtelGen.Spans;

namespace OtelGen.Folds;

/// <summary>One route's numbers at one moment: requests, errors and latency percentiles in seconds.</summary>
/// <param name="Method">The <c>http.request.method</c> of the first request seen (null for non-HTTP entry spans).</param>
/// <param name="Route">The <c>http.route</c>, or the span name of a non-HTTP entry span.</param>
/// <param name="Requests">How many entry spans ended.</param>
/// <param name="Errors">How many of them ended with status ERROR (requests the client aborted, with <c>error.type</c> <c>request_aborted</c>, are not counted).</param>
/// <param name="P50">Median latency, seconds.</param>
/// <param name="P95">95th percentile latency, seconds.</param>
/// <param name="P99">99th percentile latency, seconds.</param>
public readonly record struct RouteSummary(string? Method, string Route, long Requests, long Errors, double P50, double P95, double P99);

/// <summary>
/// The route aggregate (<see cref="RouteAggregates"/>) of SERVER spans, kept live: each request's SERVER
/// span is counted as it ends, so the numbers cover every request however small the ring is and whether or
/// not anything reads it (reading every span back out of the ring to find the one or two SERVER spans of a
/// request cost more than recording them). Off until <see cref="Start"/>. An ending span takes no lock: it
/// writes its route, duration and status into its thread's own buffer, which <see cref="Summaries"/> folds
/// in (or the thread itself, under the lock, once per <see cref="BufferSize"/> of its spans when nobody
/// reads). Other spans, synchronous ones included, never reach it.
/// </summary>
public sealed class LiveRouteAggregates
{
    private static LiveRouteAggregates? s_current;

    [ThreadStatic]
    private static Observations? t_observations;

    /// <summary>The most routes kept; entry spans of further routes are counted under <see cref="RouteAggregates.OtherRoute"/>.</summary>
    public const int MaxRoutes = 1000;

    /// <summary>How many ended SERVER spans a thread holds before it folds them in itself.</summary>
    internal const int BufferSize = 256;

    // Guards _routes and every buffer's Drained; taken by readers, and by a writer whose buffer is full.
    private readonly object _gate = new();

    // Bounded: a server whose routes are not templates (raw paths as names) must not grow a process-wide table.
    private readonly RouteAggregates _routes = new() { MaxRoutes = MaxRoutes };

    // One buffer per thread that ended a SERVER span; replaced (copy on write) under _gate.
    private Observations[] _buffers = Array.Empty<Observations>();

    internal LiveRouteAggregates()
    {
    }

    /// <summary>The live aggregate of this process, started on first call; later calls return the same one.</summary>
    public static LiveRouteAggregates Start()
    {
        LiveRouteAggregates? current = Volatile.Read(ref s_current);
        if (current is not null)
        {
            return current;
        }
        Interlocked.CompareExchange(ref s_current, new LiveRouteAggregates(), null);
        return s_current!;
    }

    /// <summary>Called for every SERVER and CLIENT span that ends (<see cref="Tracing"/>): counts SERVER spans once started.</summary>
    internal static void OnSpanEnd(SpanRecord span)
    {
        if (span.Kind == ActivityKind.Server && Volatile.Read(ref s_current) is { } live)
        {
            live.Add(span);
        }
    }

    /// <summary>Counts one SERVER span (or any entry span given directly).</summary>
    public void Add(SpanRecord span)
    {
        Observations buffer = t_observations is { } mine && mine.Aggregate == this ? mine : Register();
        if (buffer.Count == BufferSize)
        {
            lock (_gate)
            {
                Fold(buffer);
                // Only this thread writes the buffer; readers look at it only under the lock held here.
                buffer.Drained = 0;
                Volatile.Write(ref buffer.Count, 0);
            }
        }
        int at = buffer.Count;
        buffer.Items[at] = new Observation(RouteAggregates.MethodOf(span), RouteAggregates.RouteOf(span), span.DurationNanos, RouteAggregates.IsError(span));
        // Published after the item is written: a reader sees only whole items.
        Volatile.Write(ref buffer.Count, at + 1);
    }

    /// <summary>Every route's numbers, ordered by route.</summary>
    public List<RouteSummary> Summaries()
    {
        lock (_gate)
        {
            FoldAll();
            var result = new List<RouteSummary>();
            foreach (RouteStats route in _routes.Routes)
            {
                result.Add(new RouteSummary(route.Method, route.Route, route.Count, route.ErrorCount, route.P50, route.P95, route.P99));
            }
            return result;
        }
    }

    /// <summary>How many threads have a buffer here (for tests).</summary>
    internal int BufferCount => Volatile.Read(ref _buffers).Length;

    // Under _gate: every buffer folded in, and those of threads that have ended dropped.
    private void FoldAll()
    {
        Observations[] buffers = _buffers;
        bool anyEnded = false;
        foreach (Observations buffer in buffers)
        {
            // Read before folding: a thread that had ended wrote all it ever will, so its buffer, once
            // folded in, can go; one that ends after this read keeps its buffer until the next call.
            bool ended = !buffer.Thread.IsAlive;
            Fold(buffer);
            buffer.Ended = ended;
            anyEnded |= ended;
        }
        if (anyEnded)
        {
            Volatile.Write(ref _buffers, Array.FindAll(buffers, b => !b.Ended));
        }
    }

    // Under _gate.
    private void Fold(Observations buffer)
    {
        int count = Volatile.Read(ref buffer.Count);
        for (int i = buffer.Drained; i < count; i++)
        {
            ref readonly Observation o = ref buffer.Items[i];
            _routes.Add(o.Method, o.Route, o.DurationNanos, o.Error);
        }
        buffer.Drained = count;
    }

    // Once per thread (and aggregate): the thread's buffer, found again if it had one here before.
    private Observations Register()
    {
        lock (_gate)
        {
            Thread thread = Thread.CurrentThread;
            Observations? buffer = Array.Find(_buffers, b => b.Thread == thread);
            if (buffer is null)
            {
                // Threads come and go (the thread pool retires idle ones): those that have ended are
                // dropped here too, so the buffers stay as many as the live threads even if nobody reads.
                FoldAll();
                buffer = new Observations(this, thread);
                var grown = new Observations[_buffers.Length + 1];
                _buffers.CopyTo(grown, 0);
                grown[^1] = buffer;
                Volatile.Write(ref _buffers, grown);
            }
            t_observations = buffer;
            return buffer;
        }
    }

    private readonly record struct Observation(string? Method, string Route, long DurationNanos, bool Error);

    /// <summary>One thread's ended SERVER spans not yet folded in: items [Drained, Count).</summary>
    private sealed class Observations(LiveRouteAggregates aggregate, Thread thread)
    {
        public readonly LiveRouteAggregates Aggregate = aggregate;
        public readonly Thread Thread = thread;
        public readonly Observation[] Items = new Observation[BufferSize];
        public int Count;
        public int Drained;
        public bool Ended;
    }
}
