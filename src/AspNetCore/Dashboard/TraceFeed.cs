using System;
using System.Collections.Generic;
using System.Threading;
using OtelGen.Folds;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>A finished trace as the dashboard shows it: its local root and every span seen for it.</summary>
internal sealed class TraceView
{
    public TraceView(long sequence, SpanRecord root, List<SpanRecord> spans)
    {
        Sequence = sequence;
        Root = root;
        Spans = spans;
    }

    /// <summary>Order in which traces finished (1, 2, ...): what an SSE stream has already sent.</summary>
    public long Sequence { get; }
    public SpanRecord Root { get; }
    public List<SpanRecord> Spans { get; }
    public string TraceIdHex => Root.TraceId.ToHexString();
}

/// <summary>
/// Reads finished spans from the ring with its own cursor (exporters are not disturbed) and groups them
/// into traces: a trace is "finished" when its local root ends (a span with no parent, or a remote one).
/// Keeps the last <see cref="MaxTraces"/> traces for the dashboard; the per-route numbers come from the
/// live aggregate (<see cref="LiveRouteAggregates"/>). Not on the hot path: only dashboard requests drain it.
/// </summary>
internal sealed class TraceFeed
{
    public const int MaxTraces = 100;
    private const int MaxOpenTraces = 4096;
    private const int ReadBatch = 512;

    private readonly object _gate = new();
    private readonly SpanRingCursor _cursor;
    private readonly SpanRecord[] _batch;
    private readonly Dictionary<TraceId, List<SpanRecord>> _open = new();
    private readonly Queue<TraceId> _openOrder = new();
    private readonly LinkedList<TraceView> _finished = new();
    private readonly Dictionary<TraceId, TraceView> _finishedById = new();
    private long _sequence;

    public TraceFeed(SpanRing ring)
    {
        _cursor = new SpanRingCursor(ring);
        _batch = NewBatch();
        _routes = LiveRouteAggregates.Start();
    }

    private static SpanRecord[] NewBatch()
    {
        var batch = new SpanRecord[ReadBatch];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = new SpanRecord();
        }
        return batch;
    }

    private readonly LiveRouteAggregates _routes;

    /// <summary>Per-route requests, errors and p50/p95/p99 of every request of this process since the live aggregate started (counted as SERVER spans end).</summary>
    public List<RouteSummary> Routes() => _routes.Summaries();

    /// <summary>The sequence number of the newest finished trace (0 when none).</summary>
    public long LatestSequence => Interlocked.Read(ref _sequence);

    /// <summary>
    /// Groups the spans written since the last call into traces. Only the dashboard calls it (page,
    /// stream, trace), so nobody pays for copies while nobody watches; when it was idle for longer than
    /// the ring holds, it starts from the oldest span still there.
    /// </summary>
    public void Drain()
    {
        lock (_gate)
        {
            while (true)
            {
                int count = _cursor.Read(_batch, SpanClock.NowUnixNanos());
                for (int i = 0; i < count; i++)
                {
                    Add(_batch[i].Clone());
                }
                if (count < _batch.Length)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The newest traces first, at most <paramref name="max"/>.</summary>
    public List<TraceView> Recent(int max = MaxTraces)
    {
        lock (_gate)
        {
            var result = new List<TraceView>(Math.Min(max, _finished.Count));
            for (LinkedListNode<TraceView>? node = _finished.Last; node is not null && result.Count < max; node = node.Previous)
            {
                result.Add(node.Value);
            }
            return result;
        }
    }

    /// <summary>Finished traces with a sequence number above <paramref name="after"/>, oldest first.</summary>
    public List<TraceView> Since(long after)
    {
        lock (_gate)
        {
            var result = new List<TraceView>();
            for (LinkedListNode<TraceView>? node = _finished.Last; node is not null && node.Value.Sequence > after; node = node.Previous)
            {
                result.Add(node.Value);
            }
            result.Reverse();
            return result;
        }
    }

    /// <summary>A finished trace by its 32-hex id, or null. The span list is copied (late spans may still arrive).</summary>
    public TraceView? Find(string traceIdHex)
    {
        if (!TraceId.TryParse(traceIdHex, out TraceId id))
        {
            return null;
        }
        lock (_gate)
        {
            return _finishedById.TryGetValue(id, out TraceView? view) ? new TraceView(view.Sequence, view.Root, new List<SpanRecord>(view.Spans)) : null;
        }
    }

    /// <summary>Spans of a finished trace, copied under the lock.</summary>
    public List<SpanRecord> SpansOf(TraceView view)
    {
        lock (_gate)
        {
            return new List<SpanRecord>(view.Spans);
        }
    }

    /// <summary>What the trace list's filters look at, computed under the lock (late spans may still arrive).</summary>
    public TraceSummary Summarize(TraceView view)
    {
        lock (_gate)
        {
            return TraceSummary.Of(view.Root, view.Spans);
        }
    }

    /// <summary>True when a finished trace with this id is still kept.</summary>
    public bool Contains(TraceId id)
    {
        lock (_gate)
        {
            return _finishedById.ContainsKey(id);
        }
    }

    private void Add(SpanRecord span)
    {
        bool isLocalRoot = !span.ParentSpanId.IsValid || span.ParentIsRemote;
        if (_finishedById.TryGetValue(span.TraceId, out TraceView? done))
        {
            // A span that ended after its root (fire and forget) still belongs to the picture.
            done.Spans.Add(span);
            if (isLocalRoot && span.StartUnixNano <= done.Root.StartUnixNano && span.EndUnixNano >= done.Root.EndUnixNano)
            {
                // An enclosing root ended later (this process called itself, e.g. a local stub):
                // announce the trace again under its real root.
                _finished.Remove(done);
                Publish(span, done.Spans);
            }
            return;
        }
        if (!_open.TryGetValue(span.TraceId, out List<SpanRecord>? spans))
        {
            spans = new List<SpanRecord>();
            _open[span.TraceId] = spans;
            _openOrder.Enqueue(span.TraceId);
            while (_openOrder.Count > MaxOpenTraces)
            {
                _open.Remove(_openOrder.Dequeue());
            }
        }
        spans.Add(span);
        if (!isLocalRoot)
        {
            return;
        }
        _open.Remove(span.TraceId);
        Publish(span, spans);
    }

    private void Publish(SpanRecord root, List<SpanRecord> spans)
    {
        var view = new TraceView(_sequence + 1, root, spans);
        _finished.AddLast(view);
        _finishedById[root.TraceId] = view;
        if (_finished.Count > MaxTraces)
        {
            _finishedById.Remove(_finished.First!.Value.Root.TraceId);
            _finished.RemoveFirst();
        }
        Interlocked.Exchange(ref _sequence, view.Sequence);
    }
}
