using System;
using System.Collections.Generic;

namespace OtelGen.Context;

/// <summary>
/// W3C Baggage: immutable name/value pairs that travel with the trace context across process boundaries.
/// </summary>
public sealed class Baggage
{
    /// <summary>No entries.</summary>
    public static readonly Baggage Empty = new(Array.Empty<KeyValuePair<string, string>>());

    private readonly KeyValuePair<string, string>[] _entries;

    private Baggage(KeyValuePair<string, string>[] entries) { _entries = entries; }

    /// <summary>The entries, in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;

    /// <summary>How many entries.</summary>
    public int Count => _entries.Length;

    /// <summary>The value of <paramref name="name"/>, or null.</summary>
    public string? Get(string name)
    {
        foreach (KeyValuePair<string, string> entry in _entries)
        {
            if (entry.Key == name)
            {
                return entry.Value;
            }
        }
        return null;
    }

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/> (null removes it).</summary>
    public Baggage With(string name, string? value)
    {
        var list = new List<KeyValuePair<string, string>>(_entries.Length + 1);
        foreach (KeyValuePair<string, string> entry in _entries)
        {
            if (entry.Key != name)
            {
                list.Add(entry);
            }
        }
        if (value is not null)
        {
            list.Add(new KeyValuePair<string, string>(name, value));
        }
        return list.Count == 0 ? Empty : new Baggage(list.ToArray());
    }

    /// <summary>Makes baggage from entries (later duplicates win).</summary>
    public static Baggage From(IEnumerable<KeyValuePair<string, string>> entries)
    {
        Baggage result = Empty;
        foreach (KeyValuePair<string, string> entry in entries)
        {
            result = result.With(entry.Key, entry.Value);
        }
        return result;
    }
}
