using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace OtelGen.Spans;

/// <summary>
/// A bounded, lock-free, multi-writer ring of finished spans. Writers claim a sequence number with one
/// interlocked increment and copy into the slot it names; when the ring is full the oldest spans are
/// overwritten. Readers copy a slot out and check its version afterwards (a seqlock), so a slot being
/// overwritten while read is detected and counted, never returned torn.
/// </summary>
/// <remarks>
/// The ring starts at its initial capacity and doubles, up to its maximum, only when a reader that must
/// not lose spans (a cursor made with <c>holdsBack: true</c>, such as the OTLP exporter's) falls behind:
/// a small ring keeps every write in cache, a big one only when a burst needs it. Growth is decided by
/// the writer that reaches the grow point, so a reader stalled in a slow send cannot lose a burst. A
/// growth adds a new geometry (slots, mask, first sequence number) in front of the old ones; a sequence
/// number lives in the newest geometry that starts at or below it. Older geometries are kept until every
/// holding-back reader has passed the newest start, then dropped for the GC. Writers never take a lock,
/// growing included: a grower that is descheduled is taken over by the next writers. Once the holders
/// have stayed within a quarter ring of the writers for four laps, a reader halves the ring again (down
/// to the initial size) the same way.
/// </remarks>
public sealed class SpanRing
{
    // Slot versions: 0 = never written, 2*seq+1 = being written with seq, 2*seq+2 = holds seq.
    private sealed class Slot
    {
        public long Version;
        public readonly SpanRecord Record = new();
    }

    // A geometry's start is published as Unknown first and fixed right after to the next sequence
    // number (by the grower, or by any writer or reader that meets it unknown): every sequence number
    // at or past the start is then claimed after the geometry was published, so its writer sees it; and
    // a writer that saw the older geometry claimed its number before, so it is below the start. Writers
    // and readers therefore always agree on the geometry of a number, with no fence on the write path.
    private const long Unknown = long.MaxValue;
    private const long NoClaim = -1;

    private sealed class Geometry
    {
        public readonly Slot[] Slots;
        public readonly int Mask;
        public long Start;
        // The sequence number whose writer grows the ring past this geometry (long.MaxValue: none).
        // Kept with the geometry, so that a grow point always belongs to the geometry it was computed for.
        public long GrowAt;
        public Geometry? Older;

        public Geometry(Slot[] slots, long start, long growAt, Geometry? older)
        {
            Slots = slots;
            Mask = slots.Length - 1;
            Start = start;
            GrowAt = growAt;
            Older = older;
        }
    }

    // Writers touch these two on every span, then the geometry's fields (one more cache line).
    private long _next;
    private Geometry _geometry;

    private readonly int _maxCapacity;
    private readonly int _initialCapacity;
    private long _writeCollisions;
    private long _growClaim = NoClaim;
    private int _growths;
    private int _shrinks;
    // Under _holdersGate: the write count when a holder was last seen lagging more than a quarter ring.
    private long _calmSince;
    private readonly object _holdersGate = new();
    private SpanRingCursor[] _holders = Array.Empty<SpanRingCursor>();

    /// <summary>Makes a ring of a fixed size holding at least <paramref name="capacity"/> spans (rounded up to a power of two).</summary>
    public SpanRing(int capacity)
        : this(capacity, capacity)
    {
    }

    /// <summary>
    /// Makes a ring holding <paramref name="initialCapacity"/> spans that grows, by doubling, up to
    /// <paramref name="maxCapacity"/> while a holding-back reader falls behind (both rounded up to powers of two).
    /// </summary>
    public SpanRing(int initialCapacity, int maxCapacity)
    {
        if (initialCapacity < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(initialCapacity), initialCapacity, "A ring holds at least 2 spans.");
        }
        if (maxCapacity < initialCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(maxCapacity), maxCapacity, "The maximum capacity is below the initial one.");
        }
        _maxCapacity = RoundUp(maxCapacity);
        _initialCapacity = RoundUp(initialCapacity);
        _geometry = new Geometry(NewSlots(_initialCapacity), 0, long.MaxValue, null);
    }

    /// <summary>How many spans the ring holds now (its newest geometry).</summary>
    public int Capacity => Volatile.Read(ref _geometry).Slots.Length;

    /// <summary>The most <see cref="Capacity"/> can grow to.</summary>
    public int MaxCapacity => _maxCapacity;

    /// <summary>How many spans have been written since the ring was made (the next sequence number).</summary>
    public long Written => Volatile.Read(ref _next);

    /// <summary>
    /// Spans lost because a writer found its slot still being written by a writer one whole lap behind
    /// (only possible when the ring wraps during a single copy).
    /// </summary>
    public long WriteCollisions => Volatile.Read(ref _writeCollisions);

    /// <summary>The sequence number whose writer grows the ring (long.MaxValue: none will).</summary>
    internal long GrowAt => Volatile.Read(ref Volatile.Read(ref _geometry).GrowAt);

    /// <summary>How many times the ring has grown.</summary>
    internal int Growths => Volatile.Read(ref _growths);

    /// <summary>How many times the ring has shrunk back (halved) after its holders stayed close behind the writers.</summary>
    internal int Shrinks => Volatile.Read(ref _shrinks);

    /// <summary>How many geometries are still linked (1 when no older one is kept for a reader).</summary>
    internal int Geometries
    {
        get
        {
            int count = 0;
            for (Geometry? g = Volatile.Read(ref _geometry); g is not null; g = Volatile.Read(ref g.Older))
            {
                count++;
            }
            return count;
        }
    }

    /// <summary>How many cursors hold the ring back now.</summary>
    internal int HoldingCursors => Volatile.Read(ref _holders).Length;

    /// <summary>Copies <paramref name="span"/> into the ring, overwriting the oldest span when full. Never blocks.</summary>
    public void Write(SpanRecord span) => WriteClaimed(Interlocked.Increment(ref _next) - 1, span);

    /// <summary>Claims the next sequence number without writing it (tests: a writer delayed after its claim).</summary>
    internal long Claim() => Interlocked.Increment(ref _next) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteClaimed(long seq, SpanRecord span)
    {
        Geometry? g = Volatile.Read(ref _geometry);
        if (seq >= Volatile.Read(ref g.GrowAt))
        {
            g = Grow(seq, g);
        }
        if (seq < Volatile.Read(ref g.Start))
        {
            // A growth in progress, or this writer was delayed past one: find the geometry that owns seq.
            g = GeometryOf(seq);
            if (g is null)
            {
                // So late that every reader that must have it has given up on it: dropped, counted.
                Interlocked.Increment(ref _writeCollisions);
                return;
            }
        }
        // A grown geometry's slots are made by their first writer: a growth then costs one array, so the
        // grower is done before the other writers can run through the room left to them.
        Slot slot = g.Slots[seq & g.Mask] ?? NewSlot(g.Slots, (int)(seq & g.Mask));
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

    private static int RoundUp(int capacity)
    {
        if (capacity > 1 << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring holds at most 2^30 spans.");
        }
        int size = 2;
        while (size < capacity)
        {
            size <<= 1;
        }
        return size;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Slot NewSlot(Slot[] slots, int index)
    {
        var slot = new Slot();
        return Interlocked.CompareExchange(ref slots[index], slot, null) ?? slot;
    }

    private static Slot[] NewSlots(int size)
    {
        var slots = new Slot[size];
        for (int i = 0; i < size; i++)
        {
            slots[i] = new Slot();
        }
        return slots;
    }

    /// <summary>The start of <paramref name="g"/>, fixing it to the next sequence number if it is still unknown.</summary>
    private long StartOf(Geometry g)
    {
        long start = Volatile.Read(ref g.Start);
        if (start != Unknown)
        {
            return start;
        }
        Interlocked.CompareExchange(ref g.Start, Volatile.Read(ref _next), Unknown);
        return Volatile.Read(ref g.Start);
    }

    /// <summary>The newest geometry starting at or below <paramref name="seq"/>; null when it was dropped.</summary>
    private Geometry? GeometryOf(long seq)
    {
        for (Geometry? g = Volatile.Read(ref _geometry); g is not null; g = Volatile.Read(ref g.Older))
        {
            if (seq >= StartOf(g))
            {
                return g;
            }
        }
        return null;
    }

    /// <summary>
    /// The first sequence number at or after <paramref name="seq"/> (and below <paramref name="end"/>) that
    /// the ring may still hold; <paramref name="end"/> when none. Each geometry holds the last
    /// <c>Capacity</c> numbers of its own range, so a grown ring can have a hole between two geometries.
    /// </summary>
    internal long FirstHeld(long seq, long end)
    {
        if (seq >= end)
        {
            return seq;
        }
        long best = end;
        long limit = end;
        for (Geometry? g = Volatile.Read(ref _geometry); g is not null; g = Volatile.Read(ref g.Older))
        {
            long start = StartOf(g);
            if (start < limit)
            {
                long held = Math.Max(start, limit - g.Slots.Length);
                if (seq >= held)
                {
                    return seq < limit ? seq : best;
                }
                best = held;
                limit = start;
            }
            if (seq >= limit)
            {
                return best;
            }
        }
        return best;
    }

    /// <summary>
    /// Where a geometry of <paramref name="size"/> slots starting at <paramref name="start"/> grows: a
    /// quarter of it before it would overwrite the first span a holder still needs (that span + size).
    /// </summary>
    private long GrowPoint(SpanRingCursor[] holders, long start, int size)
    {
        if (holders.Length == 0 || size >= _maxCapacity)
        {
            return long.MaxValue;
        }
        return Math.Max(LowestPosition(holders), start) + size - size / 4;
    }

    /// <summary>The position of the holder furthest behind (long.MaxValue when there is none).</summary>
    private static long LowestPosition(SpanRingCursor[] holders)
    {
        long lowest = long.MaxValue;
        foreach (SpanRingCursor holder in holders)
        {
            lowest = Math.Min(lowest, holder.Position);
        }
        return lowest;
    }

    /// <summary>
    /// Doubles the ring past <paramref name="current"/>, without a lock: one writer claims the growth; if
    /// it is descheduled before publishing, a writer an eighth of a ring later takes the claim over (the
    /// growth that loses the race to publish is dropped). Returns the newest geometry.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Geometry Grow(long seq, Geometry current)
    {
        int size = current.Slots.Length;
        long claim = Volatile.Read(ref _growClaim);
        if ((claim != NoClaim && seq - claim < size / 8) || Interlocked.CompareExchange(ref _growClaim, seq, claim) != claim)
        {
            return Volatile.Read(ref _geometry);
        }
        try
        {
            if (Volatile.Read(ref _geometry) == current && size < _maxCapacity)
            {
                // Allocate before the start is chosen (when it is published), so that it is as late as possible.
                var slots = new Slot[Math.Min(_maxCapacity, size * 2)];
                if (TryPublish(slots, current, fixStart: true))
                {
                    Interlocked.Increment(ref _growths);
                }
            }
        }
        catch (OutOfMemoryException)
        {
            // Telemetry never throws into the application: the ring keeps its size (and may lose spans).
        }
        finally
        {
            Interlocked.CompareExchange(ref _growClaim, NoClaim, seq);
        }
        return Volatile.Read(ref _geometry);
    }

    private bool TryPublish(Slot[] slots, Geometry current, bool fixStart)
    {
        SpanRingCursor[] holders = Volatile.Read(ref _holders);
        // The grow point is set before publishing (from the next number now, which the start will not be
        // below), so that the new geometry never lacks one, even if this thread stops right after.
        var grown = new Geometry(slots, Unknown, GrowPoint(holders, Volatile.Read(ref _next), slots.Length), current);
        // A full fence: the start fixed below comes after every writer that saw the old geometry claimed its number.
        if (Interlocked.CompareExchange(ref _geometry, grown, current) != current)
        {
            return false;
        }
        if (fixStart)
        {
            StartOf(grown);
        }
        // A holder registered or released meanwhile (Hold/Unhold swap the array with a full fence, then retune
        // whatever geometry they see): one of the two sides sees the other's change.
        SpanRingCursor[] now = Volatile.Read(ref _holders);
        if (now != holders)
        {
            Volatile.Write(ref grown.GrowAt, GrowPoint(now, Volatile.Read(ref _next), slots.Length));
        }
        return true;
    }

    /// <summary>
    /// Tests only: doubles the ring now and leaves the new geometry's start unknown, as a grower between
    /// publishing the geometry and fixing its start.
    /// </summary>
    internal void GrowWithStartUnknown()
    {
        Geometry current = Volatile.Read(ref _geometry);
        if (TryPublish(new Slot[Math.Min(_maxCapacity, current.Slots.Length * 2)], current, fixStart: false))
        {
            Interlocked.Increment(ref _growths);
        }
    }

    /// <summary>Tests only: what the grower does right after publishing: fixes the newest geometry's start; then retunes.</summary>
    internal long FixNewestStart()
    {
        long start = StartOf(Volatile.Read(ref _geometry));
        HolderMoved();
        return start;
    }

    internal void Hold(SpanRingCursor cursor)
    {
        lock (_holdersGate)
        {
            cursor.SetPosition(FirstHeld(0, Written));
            SpanRingCursor[] holders = _holders;
            var more = new SpanRingCursor[holders.Length + 1];
            holders.CopyTo(more, 0);
            more[holders.Length] = cursor;
            Interlocked.Exchange(ref _holders, more);
            Retune();
        }
    }

    internal void Unhold(SpanRingCursor cursor)
    {
        lock (_holdersGate)
        {
            SpanRingCursor[] holders = _holders;
            int index = Array.IndexOf(holders, cursor);
            if (index < 0)
            {
                return;
            }
            var fewer = new SpanRingCursor[holders.Length - 1];
            Array.Copy(holders, 0, fewer, 0, index);
            Array.Copy(holders, index + 1, fewer, index, holders.Length - index - 1);
            Interlocked.Exchange(ref _holders, fewer);
            Retune();
        }
    }

    /// <summary>A holding-back cursor moved: recompute where the ring grows and drop geometries no holder needs.</summary>
    internal void HolderMoved()
    {
        lock (_holdersGate)
        {
            Retune();
        }
    }

    // Under _holdersGate (readers only; writers grow without it).
    private void Retune()
    {
        Geometry newest = Volatile.Read(ref _geometry);
        long newestStart = StartOf(newest);
        SpanRingCursor[] holders = _holders;
        long lowest = LowestPosition(holders);
        // An older geometry is needed while some holder has not read past the start of the one after it.
        for (Geometry g = newest; Volatile.Read(ref g.Older) is { } older; g = older)
        {
            if (lowest >= Volatile.Read(ref g.Start))
            {
                Volatile.Write(ref g.Older, null);
                break;
            }
        }
        int size = newest.Slots.Length;
        if (holders.Length > 0 && size > _initialCapacity)
        {
            // Shrink back (halve) once the holders have stayed within a quarter ring of the writers for four
            // laps: a burst, or an exporter's hiccup, must not leave every later write on a big, cold ring.
            // A holder that lags more later simply grows it again (at 3/4 of the half, above the quarter).
            long written = Volatile.Read(ref _next);
            if (written - lowest > size / 4)
            {
                _calmSince = written;
            }
            else if (Volatile.Read(ref newest.Older) is null && written - Math.Max(_calmSince, newestStart) >= 4L * size)
            {
                _calmSince = written;
                if (TryPublish(new Slot[size / 2], newest, fixStart: true))
                {
                    Interlocked.Increment(ref _shrinks);
                    return;
                }
            }
        }
        // A grower may publish a newer geometry meanwhile: it sets that one's grow point itself.
        Volatile.Write(ref newest.GrowAt, GrowPoint(holders, newestStart, size));
    }

    /// <summary>What reading one sequence number found.</summary>
    internal enum ReadResult
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
    internal ReadResult TryRead(long seq, SpanRecord target) => TryReadIf(seq, target, null);

    /// <summary>
    /// Like <see cref="TryRead"/>, but copies the span only when <paramref name="wanted"/> accepts it. The
    /// filter sees the slot in place (it may be mid-overwrite: the version check then discards the answer),
    /// so it must only read fields; a reader that wants few spans then touches little of the ring. A null
    /// filter wants every span.
    /// </summary>
    internal ReadResult TryReadIf(long seq, SpanRecord target, Func<SpanRecord, bool>? wanted)
    {
        Geometry? g = GeometryOf(seq);
        if (g is null)
        {
            return ReadResult.Overwritten;
        }
        Slot? slot = Volatile.Read(ref g.Slots[seq & g.Mask]);
        if (slot is null)
        {
            return ReadResult.Pending;
        }
        long expected = 2 * seq + 2;
        long before = Volatile.Read(ref slot.Version);
        if (before != expected)
        {
            return before > expected ? ReadResult.Overwritten : ReadResult.Pending;
        }
        bool copy;
        try
        {
            copy = wanted is null || wanted(slot.Record);
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
        SpanSink.Hooks.BeforeRead?.Invoke();
        long end = Written;
        long seq = FirstHeld(0, end);
        var spans = new List<SpanRecord>((int)Math.Min(end - seq, 2L * _maxCapacity));
        var scratch = new SpanRecord();
        while (seq < end)
        {
            if (TryRead(seq, scratch) == ReadResult.Read)
            {
                spans.Add(scratch);
                scratch = new SpanRecord();
            }
            seq = FirstHeld(seq + 1, end);
        }
        return spans;
    }
}

/// <summary>
/// A reader's position in a <see cref="SpanRing"/>: reads each span once, in order, and counts what the
/// writers overwrote before it got there. One reader per cursor (the exporter's thread). A cursor made
/// with <c>holdsBack: true</c> makes the ring grow (up to its maximum) rather than overwrite spans it has
/// not read, until it is released; a plain cursor (a dashboard) never makes the ring grow.
/// </summary>
public sealed class SpanRingCursor : IDisposable
{
    private readonly SpanRing _ring;
    private long _position;
    private long _stuckSince = -1;
    private long _lost;
    private volatile bool _holdsBack;

    /// <summary>Starts reading at the oldest span still in the ring; never holds the ring back.</summary>
    public SpanRingCursor(SpanRing ring)
        : this(ring, holdsBack: false)
    {
    }

    /// <summary>
    /// Starts reading at the oldest span still in the ring. With <paramref name="holdsBack"/> the ring grows
    /// instead of overwriting what this cursor has not read yet (up to <see cref="SpanRing.MaxCapacity"/>)
    /// until <see cref="Release"/>: for a reader that must not lose spans, such as an exporter.
    /// </summary>
    public SpanRingCursor(SpanRing ring, bool holdsBack)
    {
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        if (holdsBack)
        {
            _holdsBack = true;
            ring.Hold(this);
        }
        else
        {
            _position = ring.FirstHeld(0, ring.Written);
        }
    }

    /// <summary>True while this cursor holds the ring back (made with <c>holdsBack: true</c> and not released).</summary>
    public bool HoldsBack => _holdsBack;

    /// <summary>Spans overwritten before this reader reached them.</summary>
    public long Lost => Volatile.Read(ref _lost);

    /// <summary>How many spans are written but not yet read (may include ones already overwritten).</summary>
    public long Pending => Math.Max(0, _ring.Written - Position);

    internal long Position => Volatile.Read(ref _position);

    internal void SetPosition(long position) => Volatile.Write(ref _position, position);

    /// <summary>Stops holding the ring back: from now on the ring may overwrite what this cursor has not read. Idempotent.</summary>
    public void Release()
    {
        if (_holdsBack)
        {
            _holdsBack = false;
            _ring.Unhold(this);
        }
    }

    /// <summary>Same as <see cref="Release"/>.</summary>
    public void Dispose() => Release();

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
        SpanSink.Hooks.BeforeRead?.Invoke();
        int count = 0;
        long end = _ring.Written;
        long position = _position;
        long start = position;
        SkipTo(ref position, _ring.FirstHeld(position, end));
        while (count < into.Length && position < end)
        {
            SpanRing.ReadResult result = _ring.TryReadIf(position, into[count], wanted);
            if (result == SpanRing.ReadResult.Pending)
            {
                if (_stuckSince < 0)
                {
                    _stuckSince = nowNanos;
                    break;
                }
                if (nowNanos - _stuckSince < pendingGiveUpNanos)
                {
                    break;
                }
                // Its writer lost a collision (or was dropped): counted lost.
                result = SpanRing.ReadResult.Overwritten;
            }
            _stuckSince = -1;
            switch (result)
            {
                case SpanRing.ReadResult.Read:
                    count++;
                    position++;
                    break;
                case SpanRing.ReadResult.Skipped:
                    position++;
                    break;
                default:
                    // Overwritten: this span and any after it the ring no longer holds.
                    SkipTo(ref position, Math.Max(position + 1, _ring.FirstHeld(position + 1, end)));
                    break;
            }
        }
        Volatile.Write(ref _position, position);
        if (_holdsBack && position != start)
        {
            _ring.HolderMoved();
        }
        return count;
    }

    private void SkipTo(ref long position, long target)
    {
        if (target > position)
        {
            Interlocked.Add(ref _lost, target - position);
            position = target;
        }
    }
}
