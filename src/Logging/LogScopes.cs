using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Logging;

/// <summary>
/// The trace id scope, the shape .NET's logger factory gives for an Activity: the fields
/// <see cref="ActivityTrackingOptions"/> selects, in its order (<c>SpanId</c>, <c>TraceId</c>, <c>ParentId</c>,
/// <c>TraceState</c>, <c>TraceFlags</c>), ids as lowercase hex strings, <c>TraceState</c> a string or null,
/// <c>TraceFlags</c> an <see cref="ActivityTraceFlags"/>; as text <c>SpanId:…, TraceId:…, ParentId:…</c>.
/// Immutable once made (the texts are made when first read), so one span's scope is shared by its log lines.
/// </summary>
internal sealed class TraceLogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    internal readonly ActivityTrackingOptions Fields;
    private readonly int _count;
    private readonly TraceId _traceId;
    private readonly SpanId _spanId;
    private readonly SpanId _parentId;
    private readonly bool _parentKnown;
    private readonly byte _flags;
    private readonly string? _traceState;
    private string? _spanText;
    private string? _traceText;
    private string? _parentText;
    private object? _flagsValue;
    private string? _text;

    /// <summary>An OtelGen span's scope. Without <paramref name="parentKnown"/> (the span has ended) ParentId is empty.</summary>
    internal TraceLogScope(ActivityTrackingOptions fields, in SpanContext context, SpanId parent, bool parentKnown)
    {
        Fields = fields;
        _count = CountOf(fields);
        _traceId = context.TraceId;
        _spanId = context.SpanId;
        _parentId = parent;
        _parentKnown = parentKnown;
        _flags = context.TraceFlags;
        _traceState = context.TraceState;
    }

    /// <summary>An Activity's scope, the values .NET takes (hierarchical ids included), read now as .NET does.</summary>
    internal TraceLogScope(ActivityTrackingOptions fields, Activity activity)
    {
        Fields = fields;
        _count = CountOf(fields);
        _parentKnown = true;
        if ((fields & ActivityTrackingOptions.SpanId) != 0)
        {
            _spanText = activity.IdFormat switch
            {
                ActivityIdFormat.Hierarchical => activity.Id,
                ActivityIdFormat.W3C => activity.SpanId.ToHexString(),
                _ => null,
            } ?? string.Empty;
        }
        if ((fields & ActivityTrackingOptions.TraceId) != 0)
        {
            _traceText = activity.IdFormat switch
            {
                ActivityIdFormat.Hierarchical => activity.RootId,
                ActivityIdFormat.W3C => activity.TraceId.ToHexString(),
                _ => null,
            } ?? string.Empty;
        }
        if ((fields & ActivityTrackingOptions.ParentId) != 0)
        {
            _parentText = activity.IdFormat switch
            {
                ActivityIdFormat.Hierarchical => activity.ParentId,
                ActivityIdFormat.W3C => activity.ParentSpanId.ToHexString(),
                _ => null,
            } ?? string.Empty;
        }
        _traceState = activity.TraceStateString;
        if ((fields & ActivityTrackingOptions.TraceFlags) != 0)
        {
            _flagsValue = activity.ActivityTraceFlags;
        }
    }

    /// <summary>True when this scope says exactly what a new one for these values would.</summary>
    internal bool IsFor(ActivityTrackingOptions fields, in SpanContext context, SpanId parent, bool parentKnown) =>
        Fields == fields && _spanId == context.SpanId && _traceId == context.TraceId && _parentId == parent &&
        _parentKnown == parentKnown && _flags == context.TraceFlags && string.Equals(_traceState, context.TraceState, StringComparison.Ordinal);

    public int Count => _count;

    public KeyValuePair<string, object?> this[int index]
    {
        get
        {
            int left = index;
            for (int bit = (int)ActivityTrackingOptions.SpanId; bit <= (int)ActivityTrackingOptions.TraceFlags; bit <<= 1)
            {
                if (((int)Fields & bit) != 0 && left-- == 0)
                {
                    return Field((ActivityTrackingOptions)bit);
                }
            }
            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    private KeyValuePair<string, object?> Field(ActivityTrackingOptions field) => field switch
    {
        ActivityTrackingOptions.SpanId => new("SpanId", _spanText ??= _spanId.ToHexString()),
        ActivityTrackingOptions.TraceId => new("TraceId", _traceText ??= _traceId.ToHexString()),
        ActivityTrackingOptions.ParentId => new("ParentId", _parentText ??= _parentKnown ? _parentId.ToHexString() : string.Empty),
        ActivityTrackingOptions.TraceState => new("TraceState", _traceState),
        _ => new("TraceFlags", _flagsValue ??= (ActivityTraceFlags)_flags),
    };

    /// <summary><c>SpanId:…, TraceId:…, ParentId:…</c>, as .NET writes its Activity scope (made once, at its length).</summary>
    public override string ToString()
    {
        if (_text is null)
        {
            int length = 0;
            for (int i = 0; i < _count; i++)
            {
                KeyValuePair<string, object?> item = this[i];
                length += (i > 0 ? 2 : 0) + item.Key.Length + 1 + (Text(item.Value)?.Length ?? 0);
            }
            _text = string.Create(length, this, static (chars, scope) =>
            {
                int at = 0;
                for (int i = 0; i < scope._count; i++)
                {
                    KeyValuePair<string, object?> item = scope[i];
                    if (i > 0)
                    {
                        ", ".CopyTo(chars[at..]);
                        at += 2;
                    }
                    item.Key.CopyTo(chars[at..]);
                    at += item.Key.Length;
                    chars[at++] = ':';
                    if (Text(item.Value) is { } value)
                    {
                        value.CopyTo(chars[at..]);
                        at += value.Length;
                    }
                }
            });
        }
        return _text;
    }

    // The values are strings, or the flags, whose enum name is a cached string.
    private static string? Text(object? value) => value as string ?? value?.ToString();

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < _count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int CountOf(ActivityTrackingOptions fields)
    {
        int count = 0;
        for (int bits = (int)fields; bits != 0; bits &= bits - 1)
        {
            count++;
        }
        return count;
    }
}

/// <summary>
/// An OtelGen span's attributes as the tags scope (.NET gives an Activity's <c>TagObjects</c>): key and value
/// (string, long, double, bool or an array of them), as text <c>key:value, key:value</c>. Copied when the line is
/// written: attributes set later are not in it.
/// </summary>
internal sealed class SpanTagsLogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValue[] _attributes;
    private string? _text;

    private SpanTagsLogScope(KeyValue[] attributes) => _attributes = attributes;

    /// <summary>The span's attributes now, or null when it has none (or they changed under the copy).</summary>
    internal static SpanTagsLogScope? Of(SpanRecord record)
    {
        try
        {
            int count = record.TotalAttributeCount;
            if (count <= 0)
            {
                return null;
            }
            var attributes = new KeyValue[count];
            for (int i = 0; i < count; i++)
            {
                attributes[i] = record.AttributeAt(i);
            }
            return new SpanTagsLogScope(attributes);
        }
        catch (Exception)
        {
            // Another thread changed the span's attributes while they were copied: no tags on this line.
            return null;
        }
    }

    public int Count => _attributes.Length;

    public KeyValuePair<string, object?> this[int index] => new(_attributes[index].Key, _attributes[index].Value.ToObject());

    public override string ToString()
    {
        if (_text is null)
        {
            var text = new StringBuilder();
            for (int i = 0; i < _attributes.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(", ");
                }
                text.Append(_attributes[i].Key).Append(':').Append(_attributes[i].Value.ToString());
            }
            _text = text.ToString();
        }
        return _text;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < _attributes.Length; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// The baggage scope, as .NET's: the entries as <c>IEnumerable&lt;KeyValuePair&lt;string, object?&gt;&gt;</c> (string
/// values), as text <c>key:value, key:value</c>. Over OtelGen's <see cref="Baggage"/> (immutable, so the text is made
/// once) or an Activity's baggage (read at each use, as .NET does).
/// </summary>
internal sealed class BaggageLogScope : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly Baggage? _baggage;
    private readonly KeyValuePair<string, object?>[]? _entries;
    private readonly IEnumerable<KeyValuePair<string, string?>>? _activityBaggage;
    private string? _text;

    internal BaggageLogScope(Baggage baggage)
    {
        _baggage = baggage;
        _entries = new KeyValuePair<string, object?>[baggage.Count];
        for (int i = 0; i < _entries.Length; i++)
        {
            _entries[i] = new(baggage.Entries[i].Key, baggage.Entries[i].Value);
        }
    }

    internal BaggageLogScope(IEnumerable<KeyValuePair<string, string?>> activityBaggage) => _activityBaggage = activityBaggage;

    internal bool IsFor(Baggage baggage) => ReferenceEquals(_baggage, baggage);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        if (_entries is not null)
        {
            for (int i = 0; i < _entries.Length; i++)
            {
                yield return _entries[i];
            }
            yield break;
        }
        foreach (KeyValuePair<string, string?> item in _activityBaggage!)
        {
            yield return new(item.Key, item.Value);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString()
    {
        if (_text is not null)
        {
            return _text;
        }
        var text = new StringBuilder();
        bool first = true;
        foreach (KeyValuePair<string, object?> item in this)
        {
            if (!first)
            {
                text.Append(", ");
            }
            first = false;
            text.Append(item.Key).Append(':').Append(item.Value);
        }
        string result = text.ToString();
        if (_baggage is not null)
        {
            _text = result;
        }
        return result;
    }
}
