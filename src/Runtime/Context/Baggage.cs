using System;
using System.Collections.Generic;

namespace OtelGen.Context;

/// <summary>
/// W3C Baggage: immutable name/value pairs that travel with the trace context across process boundaries.
/// Each entry may carry W3C properties (the <c>;key</c> and <c>;key=value</c> metadata after its value),
/// which are kept and sent on unchanged.
/// </summary>
public sealed class Baggage
{
    /// <summary>No entries.</summary>
    public static readonly Baggage Empty = new(Array.Empty<KeyValuePair<string, string>>(), null);

    private static readonly KeyValuePair<string, string?>[] s_noProperties = Array.Empty<KeyValuePair<string, string?>>();

    private readonly KeyValuePair<string, string>[] _entries;
    // Parallel to _entries; null when no entry has properties, and a null slot for an entry without any.
    private readonly KeyValuePair<string, string?>[]?[]? _properties;

    private Baggage(KeyValuePair<string, string>[] entries, KeyValuePair<string, string?>[]?[]? properties)
    {
        _entries = entries;
        _properties = properties;
    }

    /// <summary>The entries, in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;

    /// <summary>How many entries.</summary>
    public int Count => _entries.Length;

    /// <summary>The value of <paramref name="name"/>, or null.</summary>
    public string? Get(string name)
    {
        int index = IndexOf(name);
        return index < 0 ? null : _entries[index].Value;
    }

    /// <summary>
    /// The W3C properties of <paramref name="name"/>'s entry, in order: a key, and its (percent-decoded) value
    /// or null for a property written as a bare key. Empty when the entry has none or is absent.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string?>> GetProperties(string name)
    {
        int index = IndexOf(name);
        return index < 0 ? s_noProperties : PropertiesAt(index);
    }

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/> (null removes it); the entry has no properties.</summary>
    public Baggage With(string name, string? value) => WithEntry(name, value, null);

    /// <summary>
    /// A copy with <paramref name="name"/> set to <paramref name="value"/> and the W3C
    /// <paramref name="properties"/> (key, and value or null for a bare key) attached to it.
    /// </summary>
    public Baggage With(string name, string value, IEnumerable<KeyValuePair<string, string?>> properties)
    {
        KeyValuePair<string, string?>[]? list = properties is null ? null : new List<KeyValuePair<string, string?>>(properties).ToArray();
        return WithEntry(name, value, list is { Length: > 0 } ? list : null);
    }

    /// <summary>Makes baggage from entries (later duplicates win).</summary>
    public static Baggage From(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var members = new List<(string Name, string Value, KeyValuePair<string, string?>[]? Properties)>();
        foreach (KeyValuePair<string, string> entry in entries)
        {
            members.Add((entry.Key, entry.Value, null));
        }
        return FromMembers(members);
    }

    /// <summary>
    /// Baggage from members in order, with properties. A later duplicate wins and takes its place at the
    /// end, as <see cref="With(string, string?)"/> would; linear in the number of members.
    /// </summary>
    internal static Baggage FromMembers(List<(string Name, string Value, KeyValuePair<string, string?>[]? Properties)> members)
    {
        if (members.Count == 0)
        {
            return Empty;
        }
        var last = new Dictionary<string, int>(members.Count, StringComparer.Ordinal);
        for (int i = 0; i < members.Count; i++)
        {
            last[members[i].Name] = i;
        }
        var entries = new KeyValuePair<string, string>[last.Count];
        KeyValuePair<string, string?>[]?[]? properties = null;
        int n = 0;
        for (int i = 0; i < members.Count; i++)
        {
            if (last[members[i].Name] != i)
            {
                continue;
            }
            entries[n] = new KeyValuePair<string, string>(members[i].Name, members[i].Value);
            if (members[i].Properties is { Length: > 0 } props)
            {
                properties ??= new KeyValuePair<string, string?>[]?[entries.Length];
                properties[n] = props;
            }
            n++;
        }
        return new Baggage(entries, properties);
    }

    /// <summary>The properties of the entry at <paramref name="index"/> (never null).</summary>
    internal KeyValuePair<string, string?>[] PropertiesAt(int index) => _properties?[index] ?? s_noProperties;

    private int IndexOf(string name)
    {
        for (int i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].Key == name)
            {
                return i;
            }
        }
        return -1;
    }

    private Baggage WithEntry(string name, string? value, KeyValuePair<string, string?>[]? properties)
    {
        var entries = new List<KeyValuePair<string, string>>(_entries.Length + 1);
        var props = new List<KeyValuePair<string, string?>[]?>(_entries.Length + 1);
        bool any = false;
        for (int i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].Key != name)
            {
                entries.Add(_entries[i]);
                KeyValuePair<string, string?>[]? p = _properties?[i];
                props.Add(p);
                any |= p is not null;
            }
        }
        if (value is not null)
        {
            entries.Add(new KeyValuePair<string, string>(name, value));
            props.Add(properties);
            any |= properties is not null;
        }
        return entries.Count == 0 ? Empty : new Baggage(entries.ToArray(), any ? props.ToArray() : null);
    }
}
