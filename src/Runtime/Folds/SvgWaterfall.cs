using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using OtelGen.Spans;

namespace OtelGen.Folds;

/// <summary>Sizes of an <see cref="SvgWaterfall"/>, in SVG user units (pixels).</summary>
public sealed class SvgWaterfallOptions
{
    /// <summary>Total width.</summary>
    public int Width { get; set; } = 1200;
    /// <summary>Width of the left column with the indented span names.</summary>
    public int LabelWidth { get; set; } = 340;
    /// <summary>Height of one span row.</summary>
    public int RowHeight { get; set; } = 22;
    /// <summary>Bars never get narrower than this, so that a 1 µs span in a 10 s trace stays visible.</summary>
    public double MinBarWidth { get; set; } = 2;
    /// <summary>Indentation per tree level in the label column.</summary>
    public int Indent { get; set; } = 14;
}

/// <summary>
/// The render fold: an SVG waterfall of one trace. One row per span in tree order (depth-first,
/// siblings by start), one <c>&lt;rect class="span …"&gt;</c> per span with x proportional to the start
/// offset and width to the duration, colour by kind, errors in red with a dark outline, promoted job
/// spans hatched, events as diamonds, a time axis with 1-2-5 ticks, and a <c>&lt;title&gt;</c> tooltip with
/// the attributes. Each span's row is a <c>&lt;g class="row" data-span="{16-hex span id}"&gt;</c>, so a page can
/// find the span a click landed on. All text is XML-escaped; output depends only on the tree (invariant
/// culture, no clocks, no ids but the spans' own), so it can be snapshot-tested.
/// </summary>
public static class SvgWaterfall
{
    private const int HeaderHeight = 52;
    private const int DurationGutter = 92;

    /// <summary>Renders <paramref name="trace"/> as an SVG document.</summary>
    public static string Render(TraceTree trace, SvgWaterfallOptions? options = null)
    {
        var sb = new StringBuilder(512 + trace.Nodes.Count * 420);
        using var writer = new StringWriter(sb, CultureInfo.InvariantCulture);
        Render(trace, writer, options);
        return sb.ToString();
    }

    /// <summary>Writes <paramref name="trace"/> as an SVG document to <paramref name="output"/>.</summary>
    public static void Render(TraceTree trace, TextWriter output, SvgWaterfallOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new SvgWaterfallOptions();
        int width = Math.Max(options.Width, options.LabelWidth + DurationGutter + 100);
        int rowHeight = Math.Max(options.RowHeight, 12);
        int rows = trace.Nodes.Count;
        int height = HeaderHeight + rows * rowHeight + 12;
        double x0 = options.LabelWidth + 10;
        double x1 = width - DurationGutter;
        long start = trace.StartUnixNano;
        long total = Math.Max(1, trace.EndUnixNano - start);
        double scale = (x1 - x0) / total;
        var w = new SvgWriter(output);

        w.Raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Num(width).Raw("\" height=\"").Num(height)
         .Raw("\" viewBox=\"0 0 ").Num(width).Raw(" ").Num(height).Raw("\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"12\">\n");
        w.Raw("<defs><pattern id=\"job-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">")
         .Raw("<rect width=\"6\" height=\"6\" fill=\"#f1ce63\"/><rect width=\"3\" height=\"6\" fill=\"#d4a017\"/></pattern></defs>\n");
        w.Raw("<style>text{fill:#222}.dur{fill:#555;font-size:11px}.tick{fill:#666;font-size:10px}.err{fill:#b00020;font-weight:bold}.grid{stroke:#e4e4e4}.orphan{font-style:italic}</style>\n");
        w.Raw("<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");

        // Title line: the trace id, its size and length.
        w.Raw("<text x=\"8\" y=\"16\" font-weight=\"bold\">trace ").Hex(trace.TraceId.High).Hex(trace.TraceId.Low).Raw("</text>");
        w.Raw("<text x=\"").Num(x0).Raw("\" y=\"16\" class=\"dur\">").Num(trace.SpanCount).Raw(trace.SpanCount == 1 ? " span, " : " spans, ")
         .Duration(trace.EndUnixNano - start);
        if (trace.OrphanCount > 0)
        {
            w.Raw(", ").Num(trace.OrphanCount).Raw(" orphaned");
        }
        if (trace.SkewCorrections > 0)
        {
            w.Raw(", ").Num(trace.SkewCorrections).Raw(" skew-corrected");
        }
        w.Raw("</text>\n");

        // Time axis with readable 1-2-5 ticks and grid lines through the rows.
        long step = TickStep(total, Math.Max(2, (int)((x1 - x0) / 90)));
        double gridBottom = HeaderHeight + rows * rowHeight;
        w.Raw("<g class=\"axis\">");
        w.Raw("<line x1=\"").Num(x0).Raw("\" y1=\"38\" x2=\"").Num(x1).Raw("\" y2=\"38\" stroke=\"#999\"/>");
        for (long t = 0; t <= total; t += step)
        {
            double x = x0 + t * scale;
            w.Raw("<line class=\"grid\" x1=\"").Num(x).Raw("\" y1=\"38\" x2=\"").Num(x).Raw("\" y2=\"").Num(gridBottom).Raw("\"/>");
            w.Raw("<line x1=\"").Num(x).Raw("\" y1=\"34\" x2=\"").Num(x).Raw("\" y2=\"38\" stroke=\"#999\"/>");
            w.Raw("<text class=\"tick\" x=\"").Num(x).Raw("\" y=\"31\" text-anchor=\"middle\">").Duration(t).Raw("</text>");
        }
        w.Raw("</g>\n");

        int row = 0;
        foreach (SpanNode node in trace.Nodes)
        {
            double y = HeaderHeight + row * rowHeight;
            double barY = y + 3;
            double barHeight = rowHeight - 6;
            double textY = y + rowHeight / 2.0 + 4;
            double x = x0 + (node.StartUnixNano - start) * scale;
            double barWidth = Math.Max(options.MinBarWidth, node.DurationNanos * scale);
            if (row % 2 == 1)
            {
                w.Raw("<rect class=\"stripe\" x=\"0\" y=\"").Num(y).Raw("\" width=\"").Num(width).Raw("\" height=\"").Num(rowHeight).Raw("\" fill=\"#000\" fill-opacity=\"0.03\"/>");
            }
            // Indentation stops before the column is used up, so very deep traces keep readable names.
            double labelX = 8 + Math.Min(node.Depth * options.Indent, Math.Max(0, options.LabelWidth - 120));
            int maxChars = Math.Max(4, (int)((options.LabelWidth - labelX) / 7));
            if (node.Span is not { } span)
            {
                // The synthetic root: a dashed outline, no span of its own.
                w.Raw("<g class=\"synthetic\"><title>").Text(node.Name).Raw("</title>");
                w.Raw("<rect class=\"synthetic\" x=\"").Num(x).Raw("\" y=\"").Num(barY).Raw("\" width=\"").Num(barWidth).Raw("\" height=\"").Num(barHeight)
                 .Raw("\" fill=\"none\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>");
                w.Raw("<text class=\"orphan\" x=\"").Num(labelX).Raw("\" y=\"").Num(textY).Raw("\">").Text(Truncate(node.Name, maxChars)).Raw("</text></g>\n");
                row++;
                continue;
            }

            bool error = span.StatusCode == SpanStatusCode.Error;
            bool job = IsPromotedJobSpan(span);
            w.Raw("<g class=\"row\" data-span=\"").Hex(span.SpanId.Value).Raw("\">");
            WriteTooltip(w, node, span, start);
            w.Raw("<rect class=\"span ").Raw(KindClass(span.Kind)).Raw(error ? " error" : "").Raw(job ? " job" : "")
             .Raw("\" x=\"").Num(x).Raw("\" y=\"").Num(barY).Raw("\" width=\"").Num(barWidth).Raw("\" height=\"").Num(barHeight)
             .Raw("\" rx=\"2\" fill=\"").Raw(job ? "url(#job-hatch)" : error ? "#e15759" : KindColour(span.Kind)).Raw("\"");
            if (error)
            {
                w.Raw(" stroke=\"#7a0010\" stroke-width=\"2\"");
            }
            else if (job)
            {
                w.Raw(" stroke=\"#8a6d00\" stroke-dasharray=\"3 2\"");
            }
            w.Raw("/>");

            for (int i = 0; i < span.EventCount; i++)
            {
                ref readonly SpanEvent e = ref span.Events[i];
                double ex = x0 + (e.TimeUnixNano + node.SkewNanos - start) * scale;
                ex = Math.Clamp(ex, x0, x1);
                bool exception = e.Name == "exception";
                w.Raw("<path class=\"event").Raw(exception ? " exception" : "").Raw("\" d=\"M").Num(ex).Raw(" ").Num(barY - 1).Raw("l4 ").Num(barHeight / 2 + 1)
                 .Raw("l-4 ").Num(barHeight / 2 + 1).Raw("l-4 -").Num(barHeight / 2 + 1).Raw("z\" fill=\"").Raw(exception ? "#7a0010" : "#222").Raw("\" stroke=\"#fff\" stroke-width=\"0.8\"><title>")
                 .Text(e.Name).Raw(" at +").Duration(e.TimeUnixNano + node.SkewNanos - start);
                foreach (KeyValue kv in span.NestedRange(e.AttributeStart, e.AttributeCount))
                {
                    w.Raw("\n").Text(kv.Key).Raw(" = ").Text(Truncate(kv.Value.ToString(), 300));
                }
                w.Raw("</title></path>");
            }

            w.Raw("<text x=\"").Num(labelX).Raw("\" y=\"").Num(textY).Raw("\"");
            if (error)
            {
                w.Raw(" class=\"err\"");
            }
            else if (node.IsOrphan)
            {
                w.Raw(" class=\"orphan\"");
            }
            w.Raw(">").Raw(error ? "\u2716 " : job ? "\u00BB " : "").Text(Truncate(span.Name, maxChars)).Raw("</text>");
            w.Raw("<text class=\"dur\" x=\"").Num(Math.Min(x + barWidth + (span.EventCount > 0 ? 8 : 4), x1 + 8)).Raw("\" y=\"").Num(textY).Raw("\">")
             .Duration(node.DurationNanos).Raw("</text>");
            w.Raw("</g>\n");
            row++;
        }
        w.Raw("</svg>\n");
    }

    /// <summary>True for a child span that the job lifecycle promoted because a threshold was crossed (<c>job.queue_wait</c>, <c>job.park</c>).</summary>
    public static bool IsPromotedJobSpan(SpanRecord span) => span.Name is "job.queue_wait" or "job.park";

    private static void WriteTooltip(SvgWriter w, SpanNode node, SpanRecord span, long traceStart)
    {
        w.Raw("<title>").Text(span.Name).Raw("\n")
         .Raw(KindClass(span.Kind)).Raw(", ").Duration(node.DurationNanos).Raw(" at +").Duration(node.StartUnixNano - traceStart);
        if (span.StatusCode != SpanStatusCode.Unset)
        {
            w.Raw("\nstatus ").Raw(span.StatusCode == SpanStatusCode.Error ? "ERROR" : "OK");
            if (!string.IsNullOrEmpty(span.StatusMessage))
            {
                w.Raw(": ").Text(Truncate(span.StatusMessage, 300));
            }
        }
        w.Raw("\nspan ").Hex(span.SpanId.Value);
        if (span.ParentSpanId.IsValid)
        {
            w.Raw(" parent ").Hex(span.ParentSpanId.Value).Raw(span.ParentIsRemote ? " (remote)" : "").Raw(node.IsOrphan ? " (missing)" : "");
        }
        if (node.SkewNanos != 0)
        {
            w.Raw("\nclock skew corrected by ").Raw(node.SkewNanos < 0 ? "-" : "+").Duration(Math.Abs(node.SkewNanos));
        }
        int count = span.TotalAttributeCount;
        for (int i = 0; i < count; i++)
        {
            ref readonly KeyValue kv = ref span.AttributeAt(i);
            w.Raw("\n").Text(kv.Key).Raw(" = ").Text(Truncate(kv.Value.ToString(), 300));
        }
        if (span.DroppedAttributes + span.DroppedEvents + span.DroppedLinks > 0)
        {
            w.Raw("\ndropped: ").Num(span.DroppedAttributes).Raw(" attributes, ").Num(span.DroppedEvents).Raw(" events, ").Num(span.DroppedLinks).Raw(" links");
        }
        w.Raw("</title>");
    }

    // A value outside ActivityKind is drawn as INTERNAL, as the exporter sends it.
    private static string KindClass(ActivityKind kind) => kind switch
    {
        ActivityKind.Server => "server",
        ActivityKind.Client => "client",
        ActivityKind.Producer => "producer",
        ActivityKind.Consumer => "consumer",
        _ => "internal",
    };

    private static string KindColour(ActivityKind kind) => kind switch
    {
        ActivityKind.Server => "#4e79a7",
        ActivityKind.Client => "#b07aa1",
        ActivityKind.Producer => "#76b7b2",
        ActivityKind.Consumer => "#f28e2b",
        _ => "#59a14f",
    };

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "\u2026");

    /// <summary>A 1-2-5 step giving at most <paramref name="maxTicks"/> intervals over <paramref name="total"/>.</summary>
    internal static long TickStep(long total, int maxTicks)
    {
        long step = 1;
        ReadOnlySpan<long> multiples = stackalloc long[] { 1, 2, 5 };
        while (true)
        {
            foreach (long m in multiples)
            {
                long candidate = step * m;
                if (total / candidate <= maxTicks)
                {
                    return candidate;
                }
            }
            step *= 10;
        }
    }

    /// <summary>A duration for people: <c>0</c>, <c>750 ns</c>, <c>12.5 µs</c>, <c>1.25 ms</c>, <c>3 s</c>.</summary>
    public static string FormatDuration(long nanos)
    {
        Span<char> buffer = stackalloc char[40];
        return new string(buffer.Slice(0, FormatDuration(nanos, buffer)));
    }

    /// <summary>Formats <paramref name="nanos"/> like <see cref="FormatDuration(long)"/> into <paramref name="destination"/> (40 chars suffice); returns the length.</summary>
    private static int FormatDuration(long nanos, Span<char> destination)
    {
        if (nanos == 0)
        {
            destination[0] = '0';
            return 1;
        }
        double abs = Math.Abs((double)nanos);
        (double value, string unit) = abs switch
        {
            < 1_000 => (nanos, "ns"),
            < 1_000_000 => (nanos / 1e3, "\u00B5s"),
            < 1_000_000_000 => (nanos / 1e6, "ms"),
            _ => (nanos / 1e9, "s"),
        };
        string format = Math.Abs(value) >= 100 ? "0" : Math.Abs(value) >= 10 ? "0.#" : "0.##";
        value.TryFormat(destination, out int written, format, CultureInfo.InvariantCulture);
        destination[written++] = ' ';
        unit.AsSpan().CopyTo(destination.Slice(written));
        return written + unit.Length;
    }

    /// <summary>Writes SVG text: markup as is, text and attribute values escaped, numbers invariant.</summary>
    private readonly struct SvgWriter
    {
        private readonly TextWriter _out;

        public SvgWriter(TextWriter output) => _out = output;

        public SvgWriter Raw(string markup)
        {
            _out.Write(markup);
            return this;
        }

        public SvgWriter Num(double value)
        {
            Span<char> buffer = stackalloc char[32];
            double rounded = Math.Round(value, 2);
            if (rounded.TryFormat(buffer, out int written, "0.##", CultureInfo.InvariantCulture))
            {
                _out.Write(buffer.Slice(0, written));
            }
            else
            {
                _out.Write(rounded.ToString("0.##", CultureInfo.InvariantCulture));
            }
            return this;
        }

        public SvgWriter Num(long value)
        {
            Span<char> buffer = stackalloc char[24];
            value.TryFormat(buffer, out int written, default, CultureInfo.InvariantCulture);
            _out.Write(buffer.Slice(0, written));
            return this;
        }

        public SvgWriter Num(int value) => Num((long)value);

        public SvgWriter Duration(long nanos)
        {
            Span<char> buffer = stackalloc char[40];
            _out.Write(buffer.Slice(0, FormatDuration(nanos, buffer)));
            return this;
        }

        public SvgWriter Hex(ulong value)
        {
            Span<char> buffer = stackalloc char[16];
            for (int i = 15; i >= 0; i--)
            {
                int digit = (int)(value & 0xF);
                buffer[i] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
                value >>= 4;
            }
            _out.Write(buffer);
            return this;
        }

        public SvgWriter Text(string text)
        {
            XmlText.Write(_out, text);
            return this;
        }
    }
}

/// <summary>XML text escaping that always yields well-formed XML 1.0.</summary>
internal static class XmlText
{
    /// <summary>Escapes <c>&amp; &lt; &gt; " '</c> and replaces characters XML 1.0 cannot carry (controls, lone surrogates) with U+FFFD.</summary>
    public static string Escape(string text)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer, text);
        return writer.ToString();
    }

    /// <summary>Writes <paramref name="text"/> escaped.</summary>
    public static void Write(TextWriter output, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }
        int run = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            string? replacement = c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' or '\n' or '\r' => null,
                < ' ' or '\uFFFE' or '\uFFFF' => "\uFFFD",
                _ when char.IsHighSurrogate(c) => i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? null : "\uFFFD",
                _ when char.IsLowSurrogate(c) => i > 0 && char.IsHighSurrogate(text[i - 1]) ? null : "\uFFFD",
                _ => null,
            };
            if (replacement is null)
            {
                continue;
            }
            output.Write(text.AsSpan(run, i - run));
            output.Write(replacement);
            run = i + 1;
        }
        output.Write(text.AsSpan(run));
    }
}
