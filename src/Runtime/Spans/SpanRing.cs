using System;
using System.Collections.Generic;
using System.Threading;

namespace OtelGen.Spans;

/// <summary>
/// A bounded, lock-free, multi-writer ring of finished spans. Writers claim a sequence number with one
/// interlocked increment and copy into the slot it names; when the ring is full the oldest spans are
/// overwritten. Readers copy a slot out and check its version afterwards (a seqlock), so a slot being
/// overwritten while read is detected and counted, never returned torn.
/// </summary>
public sealed class SpanRing
{
    // Slot versions: 0 = never written, 2*seq+1 = being written with seq, 2*seq+2 = holds seq.
    private sealed class Slot
    {
        public long Version;
        public readonly SpanRecord Record = new();
    }

    private readonly Slot[] _slots;
    private readonly int _mask;
    private long _next;
    private long _writeCollisions;

    /// <summary>Makes a ring holding at least <paramref name="capacity"/> spans (rounded up to a power of two).</summary>
    public SpanRing(int capacity)
    {
        if (capacity < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring holds at least 2 spans.");
        }
        int size = 1;
        while (size < capacity)
        {
            size <<= 1;
        }
        _slots = new Slot[size];
        for (int i = 0; i < size; i++)
        {
            _slots[i] = new Slot();
        }
        _mask = size - 1;
    }

    /// <summary>How many spans the ring holds.</summary>
    public int Capacity => _slots.Length;

    /// <summary>How many spans have been written since the ring was made (the next sequence number).</summary>
    public long Written => Volatile.Read(ref _next);

    /// <summary>
    /// Spans lost because a writer found its slot still being written by a writer one whole lap behind
    /// (only possible when the ring wraps during a single copy).
    /// </summary>
    public long WriteCollisions => Volatile.Read(ref _writeCollisions);

    /// <summary>Copies <paramref name="span"/> into the ring, overwriting the oldest span when full. Never blocks.</summary>
    public void Write(SpanRecord span)
    {
        long seq = Interlocked.Increment(ref _next) - 1;
        Slot slot = _slots[seq & _mask];
        long version = Volatile.Read(ref slot.Version);
        long writing = 2 * seq + 1;
        // Claim only a slot that is at rest and older than us; a slot still being written a lap
        // behind, or already holding a newer span, means this span is dropped and counted.
        if ((version & 1) != 0 || version > writing || Interlocked.CompareExchange(ref slot.Version, writing, version) != version)
        {
            Interlocked.Increment(ref _writeCollisions);
            return;
        }
        span.CopyTo(slot.Record);
        Volatile.Write(ref slot.Version, writing + 1);
    }

    /// <summary>What reading one sequence number found.</summary>
    public enum ReadResult
    {
        /// <summary>The span was copied out.</summary>
        Read,
        /// <summary>Not written yet (or still being written).</summary>
        Pending,
        /// <summary>Overwritten by a newer span: lost to this reader.</summary>
        Overwritten,
        /// <summary>Read, and not wanted by the reader's filter: nothing was copied.</summary>
        Skipped,
    }

    /// <summary>Copies the span with sequence number <paramref name="seq"/> into <paramref name="target"/>.</summary>
    public ReadResult TryRead(long seq, SpanRecord target)
    {
        Slot slot = _slots[seq & _mask];
        long expected = 2 * seq + 2;
        long before = Volatile.Read(ref slot.Version);
        if (before != expected)
        {
            return before > expected ? ReadResult.Overwritten : ReadResult.Pending;
        }
        slot.Record.CopyTo(target);
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref slot.Version) == expected ? ReadResult.Read : ReadResult.Overwritten;
    }

    /// <summary>
    /// Like <see cref="TryRead"/>, but copies the span only when <paramref name="wanted"/> accepts it. The
    /// filter sees the slot in place (it may be mid-overwrite: the version check then discards the answer),
    /// so it must only read fields; a reader that wants few spans then touches little of the ring.
    /// </summary>
    public ReadResult TryReadIf(long seq, SpanRecord target, Func<SpanRecord, bool> wanted)
    {
        Slot slot = _slots[seq & _mask];
        long expected = 2 * seq + 2;
        long before = Volatile.Read(ref slot.Version);
        if (before != expected)
        {
            return before > expected ? ReadResult.Overwritten : ReadResult.Pending;
        }
        bool copy;
        try
        {
            copy = wanted(slot.Record);
            if (copy)
            {
                slot.Record.CopyTo(target);
            }
        }
        catch
        {
            // A torn slot can confuse a filter; the version check below tells whether it was.
            copy = false;
        }
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref slot.Version) != expected)
        {
            return ReadResult.Overwritten;
        }
        return copy ? ReadResult.Read : ReadResult.Skipped;
    }

    /// <summary>
    /// Copies every span now in the ring, oldest first, into new objects. For folds and dashboards;
    /// it allocates and does not disturb readers that drain the ring.
    /// </summary>
    public List<SpanRecord> Snapshot()
    {
        long end = Written;
        long start = Math.Max(0, end - _slots.Length);
        var spans = new List<SpanRecord>((int)(end - start));
        var scratch = new SpanRecord();
        for (long seq = start; seq < end; seq++)
        {
            if (TryRead(seq, scratch) == ReadResult.Read)
            {
                spans.Add(scratch);
                scratch = new SpanRecord();
            }
        }
        return spans;
    }
}

/// <summary>
/// A reader's position in a <see cref="SpanRing"/>: reads each span once, in order, and counts what the
/// writers overwrote before it got there. One reader per cursor (the exporter's thread).
/// </summary>
public sealed class SpanRingCursor
{
    private readonly SpanRing _ring;
    private long _position;
    private long _stuckSince = -1;
    private long _lost;

    /// <summary>Starts reading at the oldest span still in the ring.</summary>
    public SpanRingCursor(SpanRing ring)
    {
        _ring = ring;
        _position = Math.Max(0, ring.Written - ring.Capacity);
    }

    /// <summary>Spans overwritten before this reader reached them.</summary>
    public long Lost => Volatile.Read(ref _lost);

    /// <summary>How many spans are written but not yet read (may include ones already overwritten).</summary>
    public long Pending => Math.Max(0, _ring.Written - _position);

    /// <summary>
    /// Copies up to <paramref name="into"/>.Length spans into the given records, returns how many. Stops
    /// at a span still being written; one that stays unwritten for <paramref name="pendingGiveUpNanos"/>
    /// (its writer lost a collision) is skipped and counted lost.
    /// </summary>
    public int Read(Span<SpanRecord> into, long nowNanos, long pendingGiveUpNanos = 100_000_000) => Read(into, nowNanos, null, pendingGiveUpNanos);

    /// <summary>
    /// Like <see cref="Read(Span{SpanRecord}, long, long)"/>, copying only the spans <paramref name="wanted"/>
    /// accepts (see <see cref="SpanRing.TryReadIf"/>); the others are passed over without being copied.
    /// </summary>
    public int Read(Span<SpanRecord> into, long nowNanos, Func<SpanRecord, bool>? wanted, long pendingGiveUpNanos = 100_000_000)
    {
        int count = 0;
        long end = _ring.Written;
        if (end - _position > _ring.Capacity)
        {
            long skipped = end - _ring.Capacity - _position;
            Interlocked.Add(ref _lost, skipped);
            _position += skipped;
        }
        while (count < into.Length && _position < end)
        {
            switch (wanted is null ? _ring.TryRead(_position, into[count]) : _ring.TryReadIf(_position, into[count], wanted))
            {
                case SpanRing.ReadResult.Read:
                    count++;
                    _position++;
                    _stuckSince = -1;
                    break;
                case SpanRing.ReadResult.Skipped:
                    _position++;
                    _stuckSince = -1;
                    break;
                case SpanRing.ReadResult.Overwritten:
                    Interlocked.Increment(ref _lost);
                    _position++;
                    _stuckSince = -1;
                    break;
                default:
                    if (_stuckSince < 0)
                    {
                        _stuckSince = nowNanos;
                        return count;
                    }
                    if (nowNanos - _stuckSince < pendingGiveUpNanos)
                    {
                        return count;
                    }
                    Interlocked.Increment(ref _lost);
                    _position++;
                    _stuckSince = -1;
                    break;
            }
        }
        return count;
    }
}
