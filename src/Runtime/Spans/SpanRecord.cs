using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace OtelGen.Spans;

/// <summary>An event on a span: a name, a time and a range of <see cref="SpanRecord.NestedAttributes"/>.</summary>
public struct SpanEvent
{
    /// <summary>The event name, e.g. <c>exception</c>.</summary>
    public string Name;
    /// <summary>When it happened, Unix nanoseconds.</summary>
    public long TimeUnixNano;
    /// <summary>Index of its first attribute in <see cref="SpanRecord.NestedAttributes"/>.</summary>
    public int AttributeStart;
    /// <summary>How many attributes it has.</summary>
    public int AttributeCount;
}

/// <summary>A link from a span to another span, possibly in another trace.</summary>
public struct SpanLink
{
    /// <summary>The linked span's trace.</summary>
    public TraceId TraceId;
    /// <summary>The linked span.</summary>
    public SpanId SpanId;
    /// <summary>The linked span's W3C trace flags.</summary>
    public byte TraceFlags;
    /// <summary>The linked span's tracestate, or null.</summary>
    public string? TraceState;
    /// <summary>True when the linked context came from another process (OTLP link flags carry it).</summary>
    public bool IsRemote;
    /// <summary>Index of its first attribute in <see cref="SpanRecord.NestedAttributes"/>.</summary>
    public int AttributeStart;
    /// <summary>How many attributes it has.</summary>
    public int AttributeCount;
}

/// <summary>
/// One span's data, in a reusable object: the ring keeps a fixed set of these and copies into them, so
/// recording a span allocates nothing once the arrays have grown to the sizes the application uses.
/// A span's attributes are the descriptor's constant ones followed by <see cref="Attributes"/>.
/// </summary>
public sealed class SpanRecord
{
    /// <summary>At most this many attributes per span (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT default); more are dropped and counted.</summary>
    public const int MaxAttributes = 128;
    /// <summary>At most this many events per span; more are dropped and counted.</summary>
    public const int MaxEvents = 128;
    /// <summary>At most this many links per span; more are dropped and counted.</summary>
    public const int MaxLinks = 128;
    /// <summary>At most this many attributes across all events and links of a span.</summary>
    public const int MaxNestedAttributes = 512;

    /// <summary>The trace this span belongs to.</summary>
    public TraceId TraceId;
    /// <summary>This span's id.</summary>
    public SpanId SpanId;
    /// <summary>The parent's id, or invalid for a root.</summary>
    public SpanId ParentSpanId;
    /// <summary>True when the parent came from another process (traceparent, environment, database row).</summary>
    public bool ParentIsRemote;
    /// <summary>W3C trace flags (bit 0: sampled).</summary>
    public byte TraceFlags;
    /// <summary>The W3C tracestate carried with the trace, or null.</summary>
    public string? TraceState;
    /// <summary>The site's constant facts, or null for a span made from code.</summary>
    public SpanDescriptor? Descriptor;
    /// <summary>
    /// The instrumentation scope that made the span when it is not OtelGen (a recorded library Activity: its
    /// ActivitySource's name), or null for OtelGen's own spans. OTLP reports it as the span's scope.
    /// </summary>
    public string? ScopeName;
    /// <summary>That scope's version (the ActivitySource's), or null.</summary>
    public string? ScopeVersion;
    /// <summary>The span name (the descriptor's unless renamed).</summary>
    public string Name = string.Empty;
    /// <summary>The span kind.</summary>
    public ActivityKind Kind;
    /// <summary>Start time, Unix nanoseconds.</summary>
    public long StartUnixNano;
    /// <summary>End time, Unix nanoseconds.</summary>
    public long EndUnixNano;
    /// <summary>The status.</summary>
    public SpanStatusCode StatusCode;
    /// <summary>The status description (only meaningful with <see cref="SpanStatusCode.Error"/>).</summary>
    public string? StatusMessage;

    /// <summary>Attributes set on this span (beyond the descriptor's); the first <see cref="AttributeCount"/> are valid.</summary>
    public KeyValue[] Attributes = Array.Empty<KeyValue>();
    /// <summary>How many of <see cref="Attributes"/> are valid.</summary>
    public int AttributeCount;
    /// <summary>Attributes dropped over the limit.</summary>
    public int DroppedAttributes;
    /// <summary>Events; the first <see cref="EventCount"/> are valid.</summary>
    public SpanEvent[] Events = Array.Empty<SpanEvent>();
    /// <summary>How many of <see cref="Events"/> are valid.</summary>
    public int EventCount;
    /// <summary>Events dropped over the limit.</summary>
    public int DroppedEvents;
    /// <summary>Links; the first <see cref="LinkCount"/> are valid.</summary>
    public SpanLink[] Links = Array.Empty<SpanLink>();
    /// <summary>How many of <see cref="Links"/> are valid.</summary>
    public int LinkCount;
    /// <summary>Links dropped over the limit.</summary>
    public int DroppedLinks;
    /// <summary>Attributes of events and links, each owning a range.</summary>
    public KeyValue[] NestedAttributes = Array.Empty<KeyValue>();
    /// <summary>How many of <see cref="NestedAttributes"/> are used.</summary>
    public int NestedAttributeCount;

    /// <summary>True when the sampled flag is set.</summary>
    public bool IsSampled => (TraceFlags & 1) != 0;

    /// <summary>Duration in nanoseconds.</summary>
    public long DurationNanos => EndUnixNano - StartUnixNano;

    /// <summary>The descriptor's attributes plus this span's own.</summary>
    public int TotalAttributeCount => (Descriptor?.Attributes.Length ?? 0) + AttributeCount;

    /// <summary>Attribute <paramref name="index"/> of <see cref="TotalAttributeCount"/>: descriptor ones first.</summary>
    public ref readonly KeyValue AttributeAt(int index)
    {
        KeyValue[]? constant = Descriptor?.Attributes;
        if (constant is not null)
        {
            if (index < constant.Length)
            {
                return ref constant[index];
            }
            index -= constant.Length;
        }
        return ref Attributes[index];
    }

    /// <summary>Finds an attribute by key (own attributes first, the last set wins); false if absent.</summary>
    public bool TryGetAttribute(string key, out AttributeValue value)
    {
        for (int i = AttributeCount - 1; i >= 0; i--)
        {
            if (Attributes[i].Key == key)
            {
                value = Attributes[i].Value;
                return true;
            }
        }
        if (Descriptor is { } descriptor)
        {
            foreach (KeyValue kv in descriptor.Attributes)
            {
                if (kv.Key == key)
                {
                    value = kv.Value;
                    return true;
                }
            }
        }
        value = default;
        return false;
    }

    /// <summary>The attributes of an event or link range.</summary>
    public ReadOnlySpan<KeyValue> NestedRange(int start, int count) => new(NestedAttributes, start, count);

    /// <summary>Adds an attribute, replacing an earlier one with the same key; counts a drop past the limit.</summary>
    public void SetAttribute(string key, AttributeValue value)
    {
        KeyValue[] attributes = Attributes;
        int count = AttributeCount;
        for (int i = 0; i < count; i++)
        {
            if (attributes[i].Key == key)
            {
                attributes[i] = new KeyValue(key, value);
                return;
            }
        }
        if (count == MaxAttributes)
        {
            DroppedAttributes++;
            return;
        }
        Grow(ref Attributes, count + 1, MaxAttributes);
        Attributes[count] = new KeyValue(key, value);
        AttributeCount = count + 1;
    }

    /// <summary>Adds an event with attributes; counts a drop past the limits.</summary>
    public void AddEvent(string name, long timeUnixNano, ReadOnlySpan<KeyValue> attributes = default)
    {
        if (EventCount == MaxEvents || NestedAttributeCount + attributes.Length > MaxNestedAttributes)
        {
            DroppedEvents++;
            return;
        }
        Grow(ref Events, EventCount + 1, MaxEvents);
        Events[EventCount++] = new SpanEvent
        {
            Name = name,
            TimeUnixNano = timeUnixNano,
            AttributeStart = AppendNested(attributes),
            AttributeCount = attributes.Length,
        };
    }

    /// <summary>Adds a link; counts a drop past the limits.</summary>
    public void AddLink(TraceId traceId, SpanId spanId, byte traceFlags = 1, string? traceState = null, ReadOnlySpan<KeyValue> attributes = default, bool isRemote = false)
    {
        if (LinkCount == MaxLinks || NestedAttributeCount + attributes.Length > MaxNestedAttributes)
        {
            DroppedLinks++;
            return;
        }
        Grow(ref Links, LinkCount + 1, MaxLinks);
        Links[LinkCount++] = new SpanLink
        {
            TraceId = traceId,
            SpanId = spanId,
            TraceFlags = traceFlags,
            TraceState = traceState,
            IsRemote = isRemote,
            AttributeStart = AppendNested(attributes),
            AttributeCount = attributes.Length,
        };
    }

    /// <summary>
    /// Resets what a span start does not overwrite (<see cref="ActiveSpan"/> sets ids, name, kind, flags,
    /// tracestate and start time itself): the per-span hot path skips the stores it would repeat.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ResetForStart()
    {
        EndUnixNano = 0;
        StatusCode = SpanStatusCode.Unset;
        StatusMessage = null;
        ReleaseCollections();
    }

    /// <summary>
    /// Drops the attributes, events and links (keeping the arrays).
    /// Called as a span ends, once the ring has its copy: the arrays are still in this core's
    /// cache then (a later start would clear them cold, on whichever thread rents the span next), and a
    /// pooled record holds no references to a finished request's objects, which would otherwise survive
    /// collections with it.
    /// </summary>
    internal void ReleaseCollections()
    {
        if ((AttributeCount | EventCount | LinkCount | NestedAttributeCount | DroppedAttributes | DroppedEvents | DroppedLinks) != 0)
        {
            ClearCollections();
        }
    }

    private void ClearCollections()
    {
        Attributes.AsSpan(0, AttributeCount).Clear();
        Events.AsSpan(0, EventCount).Clear();
        Links.AsSpan(0, LinkCount).Clear();
        NestedAttributes.AsSpan(0, NestedAttributeCount).Clear();
        AttributeCount = 0;
        EventCount = 0;
        LinkCount = 0;
        NestedAttributeCount = 0;
        DroppedAttributes = 0;
        DroppedEvents = 0;
        DroppedLinks = 0;
    }

    /// <summary>Forgets everything, keeping the arrays for reuse.</summary>
    public void Clear()
    {
        TraceId = default;
        SpanId = default;
        ParentSpanId = default;
        ParentIsRemote = false;
        TraceFlags = 0;
        TraceState = null;
        Descriptor = null;
        ScopeName = null;
        ScopeVersion = null;
        Name = string.Empty;
        Kind = ActivityKind.Internal;
        StartUnixNano = 0;
        EndUnixNano = 0;
        StatusCode = SpanStatusCode.Unset;
        StatusMessage = null;
        ClearCollections();
    }

    /// <summary>
    /// Copies this span into <paramref name="target"/>, growing its arrays if needed. Counts are clamped
    /// to the arrays, so that copying a record that another thread is overwriting (the ring detects and
    /// discards such copies) cannot throw.
    /// </summary>
    public void CopyTo(SpanRecord target)
    {
        target.TraceId = TraceId;
        target.SpanId = SpanId;
        target.ParentSpanId = ParentSpanId;
        target.ParentIsRemote = ParentIsRemote;
        target.TraceFlags = TraceFlags;
        target.TraceState = TraceState;
        target.Descriptor = Descriptor;
        target.ScopeName = ScopeName;
        target.ScopeVersion = ScopeVersion;
        target.Name = Name;
        target.Kind = Kind;
        target.StartUnixNano = StartUnixNano;
        target.EndUnixNano = EndUnixNano;
        target.StatusCode = StatusCode;
        target.StatusMessage = StatusMessage;
        target.DroppedAttributes = DroppedAttributes;
        target.DroppedEvents = DroppedEvents;
        target.DroppedLinks = DroppedLinks;
        if ((AttributeCount | EventCount | LinkCount | NestedAttributeCount) == 0)
        {
            // The common span: nothing beyond the descriptor's attributes. One test, no calls.
            target.AttributeCount = 0;
            target.EventCount = 0;
            target.LinkCount = 0;
            target.NestedAttributeCount = 0;
            return;
        }
        CopyCollectionsTo(target);
    }

    private void CopyCollectionsTo(SpanRecord target)
    {
        target.AttributeCount = CopyRange(Attributes, AttributeCount, ref target.Attributes, MaxAttributes);
        target.EventCount = CopyRange(Events, EventCount, ref target.Events, MaxEvents);
        target.LinkCount = CopyRange(Links, LinkCount, ref target.Links, MaxLinks);
        target.NestedAttributeCount = CopyRange(NestedAttributes, NestedAttributeCount, ref target.NestedAttributes, MaxNestedAttributes);
    }

    /// <summary>A copy in a new object (for snapshots and tests).</summary>
    public SpanRecord Clone()
    {
        var copy = new SpanRecord();
        CopyTo(copy);
        return copy;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{TraceId.ToHexString()}/{SpanId.ToHexString()} parent {ParentSpanId.ToHexString()}] {Kind} {StatusCode} {DurationNanos / 1000.0:0.0}us";

    private int AppendNested(ReadOnlySpan<KeyValue> attributes)
    {
        int start = NestedAttributeCount;
        if (attributes.Length > 0)
        {
            Grow(ref NestedAttributes, start + attributes.Length, MaxNestedAttributes);
            CopyElements(attributes, NestedAttributes.AsSpan(start));
            NestedAttributeCount += attributes.Length;
        }
        return start;
    }

    private static int CopyRange<T>(T[] source, int count, ref T[] destination, int max)
    {
        if (count <= 0)
        {
            return 0;
        }
        count = Math.Min(count, Math.Min(source.Length, max));
        Grow(ref destination, count, max);
        CopyElements(new ReadOnlySpan<T>(source, 0, count), destination);
        return count;
    }

    /// <summary>
    /// Copies element by element, not with a block copy: the ring's records and the pooled ones are old
    /// objects, and a block copy of references into an old object marks every card it covers for the next
    /// young collection to scan, whatever the references point to; a store at a time marks a card only
    /// for a young target (attribute keys and most values are old: literals and cached strings).
    /// </summary>
    private static void CopyElements<T>(ReadOnlySpan<T> source, Span<T> destination)
    {
        destination = destination.Slice(0, source.Length);
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Grow<T>(ref T[] array, int needed, int max)
    {
        if (array.Length < needed)
        {
            Resize(ref array, needed, max);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Resize<T>(ref T[] array, int needed, int max)
    {
        int size = Math.Max(4, array.Length * 2);
        while (size < needed)
        {
            size *= 2;
        }
        Array.Resize(ref array, Math.Min(size, max));
    }
}
