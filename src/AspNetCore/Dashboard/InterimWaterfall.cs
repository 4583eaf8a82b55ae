using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using OtelGen.Spans;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// Interim SVG waterfall (one bar per span, children under their parent, text escaped) until the folds'
/// waterfall lands on main; then the dashboard uses theirs and this file goes.
/// </summary>
internal static class InterimWaterfall
{
    private const int RowHeight = 20;
    private const int LabelWidth = 260;
    private const int BarWidth = 520;

    public static string Render(SpanRecord root, List<SpanRecord> spans)
    {
        List<(SpanRecord Span, int Depth)> rows = Order(root, spans);
        long start = long.MaxValue;
        long end = long.MinValue;
        foreach ((SpanRecord span, _) in rows)
        {
            start = Math.Min(start, span.StartUnixNano);
            end = Math.Max(end, span.EndUnixNano);
        }
        double total = Math.Max(1, end - start);
        int height = rows.Count * RowHeight + 4;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"waterfall\" width=\"{LabelWidth + BarWidth + 90}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        for (int i = 0; i < rows.Count; i++)
        {
            (SpanRecord span, int depth) = rows[i];
            double x = LabelWidth + (span.StartUnixNano - start) / total * BarWidth;
            double w = Math.Max(1, span.DurationNanos / total * BarWidth);
            int y = i * RowHeight + 2;
            string fill = span.StatusCode == SpanStatusCode.Error ? "#d9534f" : span.Kind switch
            {
                SpanKind.Server => "#3572b0",
                SpanKind.Client => "#7a5cc4",
                SpanKind.Consumer or SpanKind.Producer => "#c28a1e",
                _ => "#4e9a5a",
            };
            svg.Append(CultureInfo.InvariantCulture, $"<g><title>{Escape(span.Name)} {FormatDuration(span.DurationNanos)}</title>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{4 + depth * 12}\" y=\"{y + 14}\">{Escape(span.Name)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"{y + 3}\" width=\"{w:0.##}\" height=\"{RowHeight - 6}\" fill=\"{fill}\" rx=\"2\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + w + 4:0.##}\" y=\"{y + 14}\" fill=\"#555\">{FormatDuration(span.DurationNanos)}</text></g>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    public static string FormatDuration(long nanos) => nanos switch
    {
        >= 1_000_000_000 => (nanos / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 1_000_000 => (nanos / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        _ => (nanos / 1e3).ToString("0", CultureInfo.InvariantCulture) + " µs",
    };

    private static string Escape(string text) => System.Net.WebUtility.HtmlEncode(text);

    private static List<(SpanRecord, int)> Order(SpanRecord root, List<SpanRecord> spans)
    {
        var children = new Dictionary<SpanId, List<SpanRecord>>();
        var ids = new HashSet<SpanId>();
        foreach (SpanRecord span in spans)
        {
            ids.Add(span.SpanId);
        }
        foreach (SpanRecord span in spans)
        {
            if (span.SpanId == root.SpanId)
            {
                continue;
            }
            // Spans whose parent is not here hang under the root, so nothing disappears.
            SpanId parent = ids.Contains(span.ParentSpanId) ? span.ParentSpanId : root.SpanId;
            if (!children.TryGetValue(parent, out List<SpanRecord>? list))
            {
                children[parent] = list = new List<SpanRecord>();
            }
            list.Add(span);
        }
        var rows = new List<(SpanRecord, int)>();
        var stack = new Stack<(SpanRecord, int)>();
        stack.Push((root, 0));
        while (stack.Count > 0 && rows.Count < 500)
        {
            (SpanRecord span, int depth) = stack.Pop();
            rows.Add((span, depth));
            if (children.TryGetValue(span.SpanId, out List<SpanRecord>? kids))
            {
                kids.Sort((a, b) => b.StartUnixNano.CompareTo(a.StartUnixNano));
                foreach (SpanRecord kid in kids)
                {
                    stack.Push((kid, depth + 1));
                }
            }
        }
        return rows;
    }
}
