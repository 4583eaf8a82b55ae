using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using OtelGen.Configuration;

namespace OtelGen.Activities;

/// <summary>
/// Which ActivitySources OtelGen records: <c>OTELGEN_ACTIVITY_SOURCES</c> (comma-separated names, <c>*</c> matching any
/// run of characters, e.g. <c>System.Net.Http,Npgsql,Microsoft.EntityFrameworkCore*</c>) plus the names given from
/// code. Matching ignores case, as the OpenTelemetry SDK's <c>AddSource</c> does. Nothing is listened to that was
/// not named. A malformed entry is skipped with one warning; an exact name that no ActivitySource in the process
/// ever had is reported once, at exit, with the closest name that did exist.
/// </summary>
internal sealed class ActivitySourceSelection
{
    private readonly string[] _exact;
    private readonly string[] _patterns;
    private readonly ConcurrentDictionary<string, bool> _seenExact = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _sourcesSeen = new(StringComparer.Ordinal);

    private ActivitySourceSelection(string[] exact, string[] patterns)
    {
        _exact = exact;
        _patterns = patterns;
    }

    internal static readonly ActivitySourceSelection Empty = new(Array.Empty<string>(), Array.Empty<string>());

    /// <summary>True when nothing is named: no source is recorded.</summary>
    internal bool IsEmpty => _exact.Length == 0 && _patterns.Length == 0;

    /// <summary>The names and patterns, as given (for docs, tests and the warning at exit).</summary>
    internal IEnumerable<string> Entries => _exact.Concat(_patterns);

    /// <summary>Parses a comma-separated list; <paramref name="origin"/> names it in warnings.</summary>
    internal static ActivitySourceSelection Parse(string? value, string origin = "OTELGEN_ACTIVITY_SOURCES")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Empty;
        }
        return From(value.Split(','), origin);
    }

    /// <summary>The selection of <paramref name="entries"/>, skipping malformed ones with a warning.</summary>
    internal static ActivitySourceSelection From(IEnumerable<string?> entries, string origin)
    {
        var exact = new List<string>();
        var patterns = new List<string>();
        foreach (string? raw in entries)
        {
            string entry = (raw ?? string.Empty).Trim();
            string? problem = Problem(entry);
            if (problem is not null)
            {
                Diagnostics.Warn($"{origin}: entry '{Printable(raw ?? string.Empty)}' ignored ({problem}); expected comma-separated ActivitySource names, '*' matching any characters, e.g. System.Net.Http,Npgsql,Microsoft.EntityFrameworkCore*.");
                continue;
            }
            List<string> list = entry.Contains('*') ? patterns : exact;
            if (!list.Contains(entry, StringComparer.OrdinalIgnoreCase))
            {
                list.Add(entry);
            }
        }
        return new ActivitySourceSelection(exact.ToArray(), patterns.ToArray());
    }

    /// <summary>This selection and <paramref name="other"/>'s names together.</summary>
    internal ActivitySourceSelection With(ActivitySourceSelection other) =>
        other.IsEmpty ? this : IsEmpty ? other : From(Entries.Concat(other.Entries), "OtelGen");

    private static string? Problem(string entry)
    {
        if (entry.Length == 0)
        {
            return "empty";
        }
        foreach (char c in entry)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return "a name has no spaces or control characters";
            }
        }
        if (entry.Replace("*", string.Empty).Length == 0 && entry != "*")
        {
            return "only wildcards";
        }
        return null;
    }

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>Whether the source named <paramref name="name"/> is recorded. Called once per source (the listener caches it).</summary>
    internal bool Matches(string name)
    {
        _sourcesSeen.TryAdd(name, true);
        foreach (string exact in _exact)
        {
            if (string.Equals(exact, name, StringComparison.OrdinalIgnoreCase))
            {
                _seenExact.TryAdd(exact, true);
                return true;
            }
        }
        foreach (string pattern in _patterns)
        {
            if (WildcardMatch(pattern, name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Exact names that no ActivitySource of this process has had so far.</summary>
    internal IReadOnlyList<string> Unseen() => _exact.Where(n => !_seenExact.ContainsKey(n)).ToArray();

    /// <summary>The warning for names never seen, with the closest existing source name, or null.</summary>
    internal string? UnseenWarning()
    {
        IReadOnlyList<string> unseen = Unseen();
        if (unseen.Count == 0)
        {
            return null;
        }
        var parts = new List<string>();
        foreach (string name in unseen)
        {
            string? near = Closest(name, _sourcesSeen.Keys);
            parts.Add(near is null ? $"'{name}'" : $"'{name}' (did you mean '{near}'?)");
        }
        return $"OTELGEN_ACTIVITY_SOURCES names {string.Join(", ", parts)}, but no ActivitySource of that name was created in this process; nothing was recorded for it.";
    }

    private static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            if (candidate.Length == 0)
            {
                continue;
            }
            int d = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, name.Length / 4) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary><c>*</c> matches any run of characters (none included); everything else matches itself, ignoring case.</summary>
    internal static bool WildcardMatch(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(name[n]))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
