using System;
using System.Collections.Generic;
using System.Threading;
using OtelGen.Spans;

namespace OtelGen.Sampling;

/// <summary>The tail stage's knobs; the defaults suit a service handling thousands of traces a second.</summary>
public sealed class TailSamplerSettings
{
    /// <summary>What makes a trace worth keeping beyond the head ratio; None means tail sampling is off.</summary>
    public TailPolicies Policies { get; init; }

    /// <summary>How long a trace whose local root has not ended is held before it is exported anyway.</summary>
    public TimeSpan HoldTime { get; init; } = SamplingSettings.DefaultTailHoldTime;

    /// <summary>The most traces held at once; past it the oldest is decided early.</summary>
    public int MaxTraces { get; init; } = SamplingSettings.DefaultTailMaxTraces;

    /// <summary>The most spans held at once; past it the oldest trace is decided early.</summary>
    public int MaxSpans { get; init; } = SamplingSettings.DefaultTailMaxSpans;

    /// <summary>How many recent decisions are remembered, so spans that end after their root follow their trace.</summary>
    public int DecisionMemory { get; init; } = 16384;

    /// <summary>The most routes with their own latency estimate; further routes share one.</summary>
    public int MaxRoutes { get; init; } = 512;

    /// <summary>The latency estimate of a route rests on its last one to two windows of roots.</summary>
    public int LatencyWindow { get; init; } = 1024;

    /// <summary>A route needs this many roots before p95/p99 can call one of them slow.</summary>
    public int MinLatencySamples { get; init; } = 50;
}

/// <summary>
/// Tail sampling in process: sits between the ring and the exporter. It takes finished spans (copying
/// them, so the caller may reuse its records), holds each trace until its local root ends (a span with no
/// parent or a remote one), then keeps the whole trace when it has an ERROR span (<c>error</c>), its root
/// was slower than its route's running p95/p99 (<c>p95</c>/<c>p99</c>), it has a promoted job span
/// (<c>promoted</c>), or the head sampler sampled it; otherwise it is dropped. Kept spans go to the output
/// callback, valid only during the call.
/// <para>No trace leaks: one held longer than <see cref="TailSamplerSettings.HoldTime"/> (its root never
/// ended here) is exported anyway. Memory is bounded: past <see cref="TailSamplerSettings.MaxTraces"/>
/// traces or <see cref="TailSamplerSettings.MaxSpans"/> spans, the oldest trace is decided early on what
/// is held (error, promoted, sampled flag; latency unknown) and counted in <see cref="EvictedTraces"/>.
/// Spans that end after their trace was decided follow the remembered decision.</para>
/// <para>Thread-safe (one lock; it runs on the exporter's thread, never on the application's).</para>
/// </summary>
public sealed class TailSampler
{
    private sealed class HeldTrace
    {
        public TraceId TraceId;
        public long FirstSeenNanos;
        public readonly List<SpanRecord> Spans = new();
        public bool HasError;
        public bool HasPromoted;
        public bool AnySampled;
        // The age list, oldest first, so expiry and eviction look only at its head.
        public HeldTrace? Older;
        public HeldTrace? Newer;
    }

    /// <summary>The name of the promoted job span for queue waits.</summary>
    public const string QueueWaitSpanName = "job.queue_wait";
    /// <summary>The name of the promoted job span for parking.</summary>
    public const string ParkSpanName = "job.park";

    private readonly object _gate = new();
    private readonly Action<SpanRecord> _output;
    private readonly TailPolicies _policies;
    private readonly long _holdNanos;
    private readonly int _maxTraces;
    private readonly int _maxSpans;
    private readonly int _minLatencySamples;
    private readonly double _quantile;
    private readonly Dictionary<TraceId, HeldTrace> _held = new();
    private HeldTrace? _oldest;
    private HeldTrace? _newest;
    private int _heldSpans;
    private readonly Stack<SpanRecord> _freeSpans = new();
    private readonly Stack<HeldTrace> _freeTraces = new();
    private readonly Dictionary<TraceId, bool> _decided = new();
    private readonly TraceId[] _decidedOrder;
    private int _decidedNext;
    private readonly RouteLatencies _latencies;

    private long _kept;
    private long _dropped;
    private long _keptForError;
    private long _keptForLatency;
    private long _keptForPromotion;
    private long _keptByHead;
    private long _expired;
    private long _evicted;
    private long _lateKept;
    private long _lateDropped;
    private long _outputFailures;

    /// <summary>Makes a tail stage that hands kept spans to <paramref name="output"/>.</summary>
    public TailSampler(TailSamplerSettings settings, Action<SpanRecord> output)
    {
        if (settings is null)
        {
            throw new ArgumentNullException(nameof(settings));
        }
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _policies = settings.Policies;
        _holdNanos = settings.HoldTime > TimeSpan.Zero ? settings.HoldTime.Ticks * 100 : throw new ArgumentOutOfRangeException(nameof(settings), "HoldTime must be positive.");
        _maxTraces = Positive(settings.MaxTraces, nameof(settings.MaxTraces));
        _maxSpans = Positive(settings.MaxSpans, nameof(settings.MaxSpans));
        _minLatencySamples = Math.Max(1, settings.MinLatencySamples);
        _decidedOrder = new TraceId[Positive(settings.DecisionMemory, nameof(settings.DecisionMemory))];
        // With both latency policies, p95 is the lower bar and so decides.
        _quantile = (_policies & TailPolicies.P95) != 0 ? 0.95 : 0.99;
        _latencies = new RouteLatencies(Positive(settings.MaxRoutes, nameof(settings.MaxRoutes)), Positive(settings.LatencyWindow, nameof(settings.LatencyWindow)));
        Settings = settings;
    }

    /// <summary>The settings this stage was made with.</summary>
    public TailSamplerSettings Settings { get; }

    /// <summary>Traces exported (for any reason, expiry included).</summary>
    public long KeptTraces => Volatile.Read(ref _kept);
    /// <summary>Traces dropped by the policy.</summary>
    public long DroppedTraces => Volatile.Read(ref _dropped);
    /// <summary>Traces kept because a span was ERROR.</summary>
    public long KeptForError => Volatile.Read(ref _keptForError);
    /// <summary>Traces kept because the root was slower than its route's p95/p99.</summary>
    public long KeptForLatency => Volatile.Read(ref _keptForLatency);
    /// <summary>Traces kept because they held a promoted job span.</summary>
    public long KeptForPromotion => Volatile.Read(ref _keptForPromotion);
    /// <summary>Traces kept only because the head sampler sampled them.</summary>
    public long KeptByHead => Volatile.Read(ref _keptByHead);
    /// <summary>Traces exported anyway because their root did not end within the hold time (or at <see cref="Flush"/>).</summary>
    public long ExpiredTraces => Volatile.Read(ref _expired);
    /// <summary>Traces decided early because the stage was full.</summary>
    public long EvictedTraces => Volatile.Read(ref _evicted);
    /// <summary>Spans that arrived after their trace was kept, and were exported.</summary>
    public long LateSpansKept => Volatile.Read(ref _lateKept);
    /// <summary>Spans that arrived after their trace was dropped, and were dropped.</summary>
    public long LateSpansDropped => Volatile.Read(ref _lateDropped);
    /// <summary>Times the output callback threw (the span is then lost, and counted here).</summary>
    public long OutputFailures => Volatile.Read(ref _outputFailures);

    /// <summary>Traces held now, waiting for their root.</summary>
    public int HeldTraces
    {
        get { lock (_gate) { return _held.Count; } }
    }

    /// <summary>Spans held now.</summary>
    public int HeldSpans
    {
        get { lock (_gate) { return _heldSpans; } }
    }

    /// <summary>True for a span that ends its trace in this process: no parent, or a remote one.</summary>
    public static bool IsLocalRoot(SpanRecord span) => !span.ParentSpanId.IsValid || span.ParentIsRemote;

    /// <summary>True for a promoted job span.</summary>
    public static bool IsPromoted(SpanRecord span) =>
        string.Equals(span.Name, QueueWaitSpanName, StringComparison.Ordinal) || string.Equals(span.Name, ParkSpanName, StringComparison.Ordinal);

    /// <summary>
    /// Takes one finished span (copied when held: the caller keeps its record). When it is a local root
    /// the trace is decided now; traces held past the hold time are exported. <paramref name="nowNanos"/>
    /// is any monotonic clock in nanoseconds, the same for every call.
    /// </summary>
    public void Offer(SpanRecord span, long nowNanos)
    {
        if (span is null)
        {
            return;
        }
        lock (_gate)
        {
            OfferCore(span, nowNanos);
            ExpireCore(nowNanos);
        }
    }

    /// <summary>
    /// Reads up to <paramref name="scratch"/>.Length spans from <paramref name="cursor"/> into the records
    /// of <paramref name="scratch"/> (made by the caller, reused) and offers each; returns how many.
    /// </summary>
    public int OfferFrom(SpanRingCursor cursor, SpanRecord[] scratch, long nowNanos)
    {
        int read = cursor.Read(scratch, nowNanos);
        lock (_gate)
        {
            for (int i = 0; i < read; i++)
            {
                OfferCore(scratch[i], nowNanos);
            }
            ExpireCore(nowNanos);
        }
        return read;
    }

    /// <summary>Exports every trace held for at least the hold time (its root has not ended); call it when idle too.</summary>
    public void Expire(long nowNanos)
    {
        lock (_gate)
        {
            ExpireCore(nowNanos);
        }
    }

    /// <summary>Exports every held trace now (at shutdown: nothing recorded is lost to the stage).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            while (_oldest is { } trace)
            {
                _expired++;
                Finish(trace, keep: true);
            }
        }
    }

    private void OfferCore(SpanRecord span, long nowNanos)
    {
        bool root = IsLocalRoot(span);
        if (_held.TryGetValue(span.TraceId, out HeldTrace? trace))
        {
            SpanRecord copy = Hold(trace, span);
            if (root)
            {
                bool keep = DecideOnRoot(copy, trace.HasError, trace.HasPromoted);
                Finish(trace, keep);
            }
            else
            {
                EnforceLimits();
            }
            return;
        }
        if (_decided.TryGetValue(span.TraceId, out bool kept))
        {
            if (kept)
            {
                _lateKept++;
                Emit(span);
            }
            else
            {
                _lateDropped++;
            }
            return;
        }
        if (root)
        {
            // A trace whose only span here is its root: decide without copying.
            bool keep = DecideOnRoot(span, span.StatusCode == SpanStatusCode.Error, IsPromoted(span));
            if (keep)
            {
                Emit(span);
            }
            Remember(span.TraceId, keep);
            return;
        }
        trace = _freeTraces.Count > 0 ? _freeTraces.Pop() : new HeldTrace();
        trace.TraceId = span.TraceId;
        trace.FirstSeenNanos = nowNanos;
        trace.Older = _newest;
        trace.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = trace;
        }
        else
        {
            _oldest = trace;
        }
        _newest = trace;
        _held.Add(span.TraceId, trace);
        Hold(trace, span);
        EnforceLimits();
    }

    private SpanRecord Hold(HeldTrace trace, SpanRecord span)
    {
        SpanRecord copy = _freeSpans.Count > 0 ? _freeSpans.Pop() : new SpanRecord();
        span.CopyTo(copy);
        trace.Spans.Add(copy);
        _heldSpans++;
        trace.HasError |= span.StatusCode == SpanStatusCode.Error;
        trace.HasPromoted |= IsPromoted(span);
        trace.AnySampled |= span.IsSampled;
        return copy;
    }

    // The policy, when the local root has ended: counts the first reason that keeps the trace.
    private bool DecideOnRoot(SpanRecord root, bool hasError, bool hasPromoted)
    {
        bool slow = false;
        if ((_policies & (TailPolicies.P95 | TailPolicies.P99)) != 0)
        {
            RouteLatency latency = _latencies.For(root.Name);
            long duration = root.DurationNanos;
            // Judged against the routes' past, then added to it.
            slow = latency.Count >= _minLatencySamples && duration >= latency.Quantile(_quantile);
            latency.Add(duration);
        }
        if ((_policies & TailPolicies.Error) != 0 && hasError)
        {
            _keptForError++;
        }
        else if (slow)
        {
            _keptForLatency++;
        }
        else if ((_policies & TailPolicies.Promoted) != 0 && hasPromoted)
        {
            _keptForPromotion++;
        }
        else if (root.IsSampled)
        {
            _keptByHead++;
        }
        else
        {
            _dropped++;
            return false;
        }
        _kept++;
        return true;
    }

    private void ExpireCore(long nowNanos)
    {
        while (_oldest is { } trace && nowNanos - trace.FirstSeenNanos >= _holdNanos)
        {
            _expired++;
            _kept++;
            Finish(trace, keep: true);
        }
    }

    private void EnforceLimits()
    {
        while ((_held.Count > _maxTraces || _heldSpans > _maxSpans) && _oldest is { } trace)
        {
            // Decided early on what is known: latency is not, the root has not ended.
            bool keep = ((_policies & TailPolicies.Error) != 0 && trace.HasError)
                || ((_policies & TailPolicies.Promoted) != 0 && trace.HasPromoted)
                || trace.AnySampled;
            _evicted++;
            if (keep)
            {
                _kept++;
            }
            else
            {
                _dropped++;
            }
            Finish(trace, keep);
        }
    }

    private void Finish(HeldTrace trace, bool keep)
    {
        foreach (SpanRecord span in trace.Spans)
        {
            if (keep)
            {
                Emit(span);
            }
            span.Clear();
            _freeSpans.Push(span);
        }
        _heldSpans -= trace.Spans.Count;
        trace.Spans.Clear();
        // Keep no more spare records than the stage may ever hold.
        while (_freeSpans.Count > _maxSpans)
        {
            _freeSpans.Pop();
        }
        if (trace.Older is not null)
        {
            trace.Older.Newer = trace.Newer;
        }
        else
        {
            _oldest = trace.Newer;
        }
        if (trace.Newer is not null)
        {
            trace.Newer.Older = trace.Older;
        }
        else
        {
            _newest = trace.Older;
        }
        _held.Remove(trace.TraceId);
        Remember(trace.TraceId, keep);
        trace.Older = null;
        trace.Newer = null;
        trace.HasError = false;
        trace.HasPromoted = false;
        trace.AnySampled = false;
        trace.TraceId = default;
        if (_freeTraces.Count < _maxTraces)
        {
            _freeTraces.Push(trace);
        }
    }

    private void Remember(TraceId traceId, bool keep)
    {
        if (!_decided.TryAdd(traceId, keep))
        {
            _decided[traceId] = keep;
            return;
        }
        TraceId evicted = _decidedOrder[_decidedNext];
        if (evicted.IsValid)
        {
            _decided.Remove(evicted);
        }
        _decidedOrder[_decidedNext] = traceId;
        _decidedNext = (_decidedNext + 1) % _decidedOrder.Length;
    }

    private void Emit(SpanRecord span)
    {
        try
        {
            _output(span);
        }
        catch
        {
            // A failing sink must not wedge the stage: the span is lost and counted.
            _outputFailures++;
        }
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, name + " must be positive.");
}
