using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace OtelGen.Analyzers.SemConv;

/// <summary>The value type a registry attribute expects, collapsed to what a C# value can be checked against.</summary>
internal enum ValueKind : byte
{
    Unknown,
    String,
    Int,
    Double,
    Bool,
    StringArray,
    IntArray,
    DoubleArray,
    BoolArray,
}

/// <summary>One attribute of the semantic-conventions registry.</summary>
internal sealed class SemConvAttribute
{
    public SemConvAttribute(string key, string type, ValueKind kind, bool isTemplate, string? deprecatedReason, string? renamedTo, string[] enumValues)
    {
        Key = key;
        Type = type;
        Kind = kind;
        IsTemplate = isTemplate;
        DeprecatedReason = deprecatedReason;
        RenamedTo = renamedTo;
        EnumValues = enumValues;
    }

    public string Key { get; }

    /// <summary>The type as the registry writes it (string, int, enum, template[string[]], ...).</summary>
    public string Type { get; }

    public ValueKind Kind { get; }

    /// <summary>For template types the key is a prefix: the real key is <c>{Key}.{suffix}</c>.</summary>
    public bool IsTemplate { get; }

    public string? DeprecatedReason { get; }

    public string? RenamedTo { get; }

    /// <summary>Enum members (an open set), empty for other types.</summary>
    public string[] EnumValues { get; }

    public bool IsDeprecated => DeprecatedReason is not null;
}

/// <summary>
/// The embedded registry (release <see cref="Version"/>), parsed once per process on first use.
/// Lookups are dictionary hits; the "did you mean" search only walks the keys of one namespace.
/// </summary>
internal sealed class SemConvRegistry
{
    /// <summary>The semantic-conventions release the embedded data comes from.</summary>
    public const string Version = "1.44.0";

    private static readonly Lazy<SemConvRegistry> s_instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, SemConvAttribute> _byKey = new(StringComparer.Ordinal);
    private readonly List<SemConvAttribute> _templates = new();
    private readonly Dictionary<string, List<string>> _keysByRoot = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _namespaceExample = new(StringComparer.Ordinal);

    public static SemConvRegistry Instance => s_instance.Value;

    public int Count => _byKey.Count;

    public IEnumerable<SemConvAttribute> Attributes => _byKey.Values;

    private static SemConvRegistry Load()
    {
        using Stream? stream = typeof(SemConvRegistry).Assembly.GetManifestResourceStream("OtelGen.Analyzers.SemConv.attributes.tsv");
        if (stream is null)
        {
            return new SemConvRegistry();
        }

        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Parses the registry's TSV form (header first).</summary>
    public static SemConvRegistry Parse(string tsv)
    {
        var registry = new SemConvRegistry();
        string[] lines = tsv.Split('\n');
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            string[] f = line.Split('\t');
            if (f.Length < 2)
            {
                continue;
            }

            string key = f[0];
            string type = f[1];
            string? reason = f.Length > 3 && f[3].Length > 0 ? f[3] : null;
            string? renamed = f.Length > 4 && f[4].Length > 0 ? f[4] : null;
            string[] members = f.Length > 5 && f[5].Length > 0 ? f[5].Split(',') : Array.Empty<string>();
            bool template = type.StartsWith("template[", StringComparison.Ordinal);
            var attribute = new SemConvAttribute(key, type, KindOf(type, members), template, reason, renamed, members);
            registry._byKey[key] = attribute;
            if (template)
            {
                registry._templates.Add(attribute);
            }

            string root = RootOf(key);
            if (!registry._keysByRoot.TryGetValue(root, out List<string>? keys))
            {
                registry._keysByRoot[root] = keys = new List<string>();
            }

            keys.Add(key);
            if (reason is null)
            {
                // Every proper dotted prefix of a live key is a namespace (http, http.request, ...).
                for (int dot = key.IndexOf('.'); dot > 0; dot = key.IndexOf('.', dot + 1))
                {
                    string ns = key.Substring(0, dot);
                    if (!registry._namespaceExample.ContainsKey(ns))
                    {
                        registry._namespaceExample[ns] = key;
                    }
                }
            }
        }

        return registry;
    }

    private static ValueKind KindOf(string type, string[] members) => type switch
    {
        "string" or "template[string]" => ValueKind.String,
        "int" => ValueKind.Int,
        "double" => ValueKind.Double,
        "boolean" => ValueKind.Bool,
        "string[]" or "template[string[]]" => ValueKind.StringArray,
        "int[]" => ValueKind.IntArray,
        "double[]" => ValueKind.DoubleArray,
        "boolean[]" => ValueKind.BoolArray,
        "enum" => AllIntegers(members) ? ValueKind.Int : ValueKind.String,
        _ => ValueKind.Unknown,
    };

    private static bool AllIntegers(string[] members)
    {
        if (members.Length == 0)
        {
            return false;
        }

        foreach (string m in members)
        {
            if (!long.TryParse(m, out _))
            {
                return false;
            }
        }

        return true;
    }

    private static string RootOf(string key)
    {
        int dot = key.IndexOf('.');
        return dot < 0 ? key : key.Substring(0, dot);
    }

    public bool TryGet(string key, out SemConvAttribute attribute) => _byKey.TryGetValue(key, out attribute!);

    /// <summary>The template attribute whose prefix this key extends (<c>http.request.header.x</c>), if any.</summary>
    public SemConvAttribute? MatchTemplate(string key)
    {
        foreach (SemConvAttribute t in _templates)
        {
            if (key.Length > t.Key.Length + 1 && key[t.Key.Length] == '.' && key.StartsWith(t.Key, StringComparison.Ordinal))
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>Whether the key's first segment is a namespace of the registry (<c>http</c>, <c>db</c>, <c>app</c>, ...).</summary>
    public bool IsSemConvRoot(string key, out string root)
    {
        root = RootOf(key);
        return _namespaceExample.ContainsKey(root);
    }

    /// <summary>Whether the key is itself a namespace of live registry keys; <paramref name="example"/> is one of them.</summary>
    public bool IsNamespace(string key, out string example) => _namespaceExample.TryGetValue(key, out example!);

    /// <summary>Follows renames to the live key (a renamed key may have been renamed again).</summary>
    public string? FinalReplacement(SemConvAttribute attribute)
    {
        string? target = attribute.RenamedTo;
        for (int hop = 0; hop < 8 && target is not null; hop++)
        {
            if (!_byKey.TryGetValue(target, out SemConvAttribute? next) || next.RenamedTo is null)
            {
                return target;
            }

            target = next.RenamedTo;
        }

        return target;
    }

    /// <summary>
    /// The registered, non-deprecated key of the same root namespace nearest to <paramref name="key"/> by edit
    /// distance (transpositions count once), or null when none is close enough to be a likely typo.
    /// </summary>
    public string? Nearest(string key)
    {
        if (!_keysByRoot.TryGetValue(RootOf(key), out List<string>? candidates))
        {
            return null;
        }

        int limit = key.Length >= 10 ? 2 : 1;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            if (Math.Abs(candidate.Length - key.Length) > limit || _byKey[candidate].IsDeprecated)
            {
                continue;
            }

            int d = EditDistance(key, candidate, limit);
            if (d <= limit && d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }

        return best;
    }

    /// <summary>Optimal-string-alignment distance, cut short once it exceeds <paramref name="limit"/>.</summary>
    internal static int EditDistance(string a, string b, int limit)
    {
        int[] prev2 = new int[b.Length + 1];
        int[] prev = new int[b.Length + 1];
        int[] cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int v = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, prev2[j - 2] + 1);
                }

                cur[j] = v;
                rowMin = Math.Min(rowMin, v);
            }

            if (rowMin > limit)
            {
                return rowMin;
            }

            int[] t = prev2;
            prev2 = prev;
            prev = cur;
            cur = t;
        }

        return prev[b.Length];
    }
}
