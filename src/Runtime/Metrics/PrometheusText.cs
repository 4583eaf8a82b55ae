using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace OtelGen.Metrics;

/// <summary>
/// A fold of a <see cref="MetricsSnapshot"/> into the Prometheus text exposition format 0.0.4: one family
/// per metric with <c># HELP</c> and <c># TYPE</c>; names with dots turned into underscores, the unit as a
/// suffix (<c>_seconds</c>, <c>_bytes</c>) and <c>_total</c> on counters; histograms as cumulative
/// <c>_bucket{le}</c> lines ascending to <c>+Inf</c> (equal to <c>_count</c>), then <c>_sum</c> and
/// <c>_count</c>; label values escaped; a newline after every line. Checked with <c>promtool check metrics</c>.
/// </summary>
public static class PrometheusText
{
    /// <summary>The Content-Type of a page.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The page as a string.</summary>
    public static string Write(MetricsSnapshot snapshot)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(snapshot, writer);
        return writer.ToString();
    }

    /// <summary>Writes the page to <paramref name="output"/>.</summary>
    public static void Write(MetricsSnapshot snapshot, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(output);
        // Group by Prometheus name first: two meters may map to one name, and a family must appear once.
        var families = new SortedDictionary<string, Family>(StringComparer.Ordinal);
        foreach (MetricData metric in snapshot.Metrics)
        {
            if (metric.Points.Count == 0)
            {
                continue; // an instrument nobody has recorded to yet: no family
            }
            string type = metric.Kind switch
            {
                MetricKind.Sum when metric.IsMonotonic => "counter",
                MetricKind.Histogram => "histogram",
                _ => "gauge",
            };
            string name = MetricName(metric.Name, metric.Unit, type);
            if (!families.TryGetValue(name, out Family? family))
            {
                family = new Family(name, type, string.IsNullOrEmpty(metric.Description) ? metric.Name : metric.Description);
                families.Add(name, family);
            }
            else if (family.Type != type)
            {
                family.Conflicts.Add(metric.MeterName + "/" + metric.Name);
                continue;
            }
            family.Metrics.Add(metric);
        }

        var line = new StringBuilder(256);
        var seenLabels = new HashSet<string>(StringComparer.Ordinal);
        foreach (Family family in families.Values)
        {
            output.Write("# HELP ");
            output.Write(family.Name);
            output.Write(' ');
            output.Write(EscapeHelp(family.Help));
            output.Write('\n');
            output.Write("# TYPE ");
            output.Write(family.Name);
            output.Write(' ');
            output.Write(family.Type);
            output.Write('\n');
            seenLabels.Clear();
            foreach (MetricData metric in family.Metrics)
            {
                foreach (MetricDataPoint point in metric.Points)
                {
                    string labels = Labels(point.Tags);
                    if (!seenLabels.Add(labels))
                    {
                        continue; // the same series from a second meter: keep the first
                    }
                    if (metric.Kind == MetricKind.Histogram && point.Histogram is { } h)
                    {
                        long cumulative = 0;
                        for (int i = 0; i < h.Bounds.Count; i++)
                        {
                            cumulative += h.BucketCounts[i];
                            WriteSample(output, line, family.Name, "_bucket", labels, "le", FormatDouble(h.Bounds[i]), FormatLong(cumulative));
                        }
                        WriteSample(output, line, family.Name, "_bucket", labels, "le", "+Inf", FormatLong(h.Count));
                        WriteSample(output, line, family.Name, "_sum", labels, null, null, FormatDouble(h.Sum));
                        WriteSample(output, line, family.Name, "_count", labels, null, null, FormatLong(h.Count));
                    }
                    else
                    {
                        string value = metric.IsInteger ? FormatLong(point.LongValue) : FormatDouble(point.Value);
                        WriteSample(output, line, family.Name, "", labels, null, null, value);
                    }
                }
            }
            foreach (string conflict in family.Conflicts)
            {
                output.Write("# ");
                output.Write(Sanitize(conflict, label: false));
                output.Write(" skipped: its type differs from the family of the same name\n");
            }
        }
    }

    /// <summary>
    /// The Prometheus name of an OpenTelemetry metric: invalid characters become <c>_</c> (no runs), the
    /// unit is appended unless already there (<c>s</c> → <c>_seconds</c>; annotations like <c>{request}</c>
    /// add nothing), and counters end in <c>_total</c>.
    /// </summary>
    public static string MetricName(string name, string? unit, string type)
    {
        string result = Sanitize(name, label: false);
        if (type == "counter" && result.EndsWith("_total", StringComparison.Ordinal))
        {
            result = result.Substring(0, result.Length - "_total".Length);
        }
        string suffix = UnitSuffix(unit, type);
        if (suffix.Length > 0 && !result.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            result += "_" + suffix;
        }
        if (type == "counter")
        {
            result += "_total";
        }
        return result;
    }

    /// <summary>The unit word for a UCUM unit (empty when there is none to add).</summary>
    public static string UnitSuffix(string? unit, string type)
    {
        if (string.IsNullOrEmpty(unit))
        {
            return "";
        }
        // Annotations ({request}) are not units.
        var plain = new StringBuilder(unit.Length);
        int depth = 0;
        foreach (char c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (depth == 0)
            {
                plain.Append(c);
            }
        }
        string u = plain.ToString().Trim();
        if (u.Length == 0)
        {
            return "";
        }
        if (u == "1")
        {
            return type == "gauge" ? "ratio" : "";
        }
        int slash = u.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            string per = UnitWord(u.Substring(slash + 1), singular: true);
            string main = UnitWord(u.Substring(0, slash), singular: false);
            return main.Length == 0 || per.Length == 0 ? "" : main + "_per_" + per;
        }
        return UnitWord(u, singular: false);
    }

    private static string UnitWord(string unit, bool singular)
    {
        string? word = unit switch
        {
            "d" => "days",
            "h" => "hours",
            "min" => "minutes",
            "s" => "seconds",
            "ms" => "milliseconds",
            "us" => "microseconds",
            "ns" => "nanoseconds",
            "By" => "bytes",
            "KiBy" => "kibibytes",
            "MiBy" => "mebibytes",
            "GiBy" => "gibibytes",
            "KBy" => "kilobytes",
            "MBy" => "megabytes",
            "GBy" => "gigabytes",
            "m" => "meters",
            "V" => "volts",
            "A" => "amperes",
            "J" => "joules",
            "W" => "watts",
            "g" => "grams",
            "Cel" => "celsius",
            "Hz" => "hertz",
            "%" => "percent",
            _ => null,
        };
        if (word is null)
        {
            return Sanitize(unit, label: false).Trim('_');
        }
        return singular && word.EndsWith('s') && word != "celsius" && word != "hertz" ? word.Substring(0, word.Length - 1) : word;
    }

    /// <summary>Keeps <c>[a-zA-Z0-9_]</c> (and <c>:</c> in metric names), turns anything else into one <c>_</c>, and never starts with a digit.</summary>
    public static string Sanitize(string name, bool label)
    {
        var sb = new StringBuilder(name.Length + 1);
        foreach (char c in name)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || (!label && c == ':');
            char next = ok ? c : '_';
            if (next == '_' && sb.Length > 0 && sb[^1] == '_')
            {
                continue;
            }
            sb.Append(next);
        }
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0]))
        {
            sb.Insert(0, label ? "key_" : "_");
        }
        if (label && sb.Length >= 2 && sb[0] == '_' && sb[1] == '_')
        {
            sb.Insert(0, "key"); // __ names are reserved for Prometheus itself
        }
        return sb.ToString();
    }

    /// <summary>Escapes a label value: backslash, double quote and newline.</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny("\\\"\n") < 0)
        {
            return value;
        }
        return value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>Escapes HELP text: backslash and newline.</summary>
    public static string EscapeHelp(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>A sample value as Prometheus reads it: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }
        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }
        if (double.IsNaN(value))
        {
            return "NaN";
        }
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string FormatLong(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Labels(IReadOnlyList<KeyValuePair<string, object?>> tags)
    {
        if (tags.Count == 0)
        {
            return "";
        }
        var sb = new StringBuilder();
        var names = new HashSet<string>(StringComparer.Ordinal) { "le" };
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            string name = Sanitize(tag.Key, label: true);
            if (!names.Add(name))
            {
                continue; // two keys that sanitize alike (or "le"): keep the first
            }
            if (sb.Length > 0)
            {
                sb.Append(',');
            }
            sb.Append(name).Append("=\"").Append(EscapeLabelValue(LabelValue(tag.Value))).Append('"');
        }
        return sb.ToString();
    }

    private static string LabelValue(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        double d => FormatDouble(d),
        float f => FormatDouble(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        Array a => "[" + string.Join(",", System.Linq.Enumerable.Select(System.Linq.Enumerable.Cast<object?>(a), LabelValue)) + "]",
        _ => value.ToString() ?? "",
    };

    private static void WriteSample(TextWriter output, StringBuilder line, string name, string suffix, string labels, string? extraName, string? extraValue, string value)
    {
        line.Clear();
        line.Append(name).Append(suffix);
        if (labels.Length > 0 || extraName is not null)
        {
            line.Append('{').Append(labels);
            if (extraName is not null)
            {
                if (labels.Length > 0)
                {
                    line.Append(',');
                }
                line.Append(extraName).Append("=\"").Append(extraValue).Append('"');
            }
            line.Append('}');
        }
        line.Append(' ').Append(value).Append('\n');
        output.Write(line);
    }

    private sealed class Family
    {
        public Family(string name, string type, string help)
        {
            Name = name;
            Type = type;
            Help = help;
        }

        public string Name { get; }
        public string Type { get; }
        public string Help { get; }
        public List<MetricData> Metrics { get; } = new();
        public List<string> Conflicts { get; } = new();
    }
}
