using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using OtelGen.Folds;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.Folds.SampleSpans;

namespace OtelGen.Runtime.Tests.Folds;

public class SvgWaterfallTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static TraceTree Sample() => TraceForest.Build(WebRequest()).Traces.Single();

    [Fact]
    public void One_rect_per_span_placed_by_start_and_duration()
    {
        TraceTree trace = Sample();
        XDocument doc = XDocument.Parse(SvgWaterfall.Render(trace));
        XElement[] rects = doc.Descendants(Svg + "rect").Where(r => ((string?)r.Attribute("class"))?.Split(' ')[0] == "span").ToArray();
        Assert.Equal(9, rects.Length);

        double X(int i) => (double)rects[i].Attribute("x")!;
        double W(int i) => (double)rects[i].Attribute("width")!;
        double Y(int i) => (double)rects[i].Attribute("y")!;
        // Root spans the whole timeline; a child starts where its offset says and is as wide as its share.
        double scale = W(0) / 48.5;
        Assert.Equal(X(0) + 1.2 * scale, X(1), 1);
        Assert.Equal((30.1 - 1.2) * scale, W(1), 1);
        Assert.Equal(X(0) + 10.2 * scale, X(3), 1);
        // Rows go down in tree order.
        for (int i = 1; i < rects.Length; i++)
        {
            Assert.True(Y(i) > Y(i - 1));
        }
        // A 1 µs span still gets the minimum visible width.
        Assert.Equal(2, W(8), 3);
    }

    [Fact]
    public void Colours_mark_kind_and_errors_and_jobs_and_events()
    {
        XDocument doc = XDocument.Parse(SvgWaterfall.Render(Sample()));
        var rects = doc.Descendants(Svg + "rect").Where(r => ((string?)r.Attribute("class"))?.StartsWith("span", StringComparison.Ordinal) == true).ToList();
        Assert.Equal("span server", (string)rects[0].Attribute("class")!);
        Assert.Equal("span client error", (string)rects[3].Attribute("class")!);
        Assert.Equal("#e15759", (string)rects[3].Attribute("fill")!);
        Assert.NotNull(rects[3].Attribute("stroke"));
        Assert.NotEqual((string)rects[0].Attribute("fill")!, (string)rects[2].Attribute("fill")!); // server vs client
        Assert.Equal("span internal job", (string)rects[6].Attribute("class")!);
        Assert.Equal("url(#job-hatch)", (string)rects[6].Attribute("fill")!);
        var events = doc.Descendants(Svg + "path").Where(p => ((string?)p.Attribute("class"))?.StartsWith("event", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(6, events.Count); // 1 exception + 5 job lifecycle events
        Assert.Single(events, e => (string)e.Attribute("class")! == "event exception");
        Assert.Contains(events, e => e.Element(Svg + "title")!.Value.Contains("job.park.cause = io", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_is_escaped_so_a_span_named_script_is_only_text()
    {
        string svg = SvgWaterfall.Render(Sample());
        Assert.DoesNotContain("<script", svg, StringComparison.Ordinal);
        Assert.Contains("Render &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;", svg, StringComparison.Ordinal);
        XDocument doc = XDocument.Parse(svg);
        Assert.Empty(doc.Descendants(Svg + "script"));
        Assert.Contains(doc.Descendants(Svg + "title"), t => t.Value.StartsWith("Render <script>alert(1)</script> & \"quotes\"", StringComparison.Ordinal));
        Assert.Contains(doc.Descendants(Svg + "title"), t => t.Value.Contains("status ERROR: timeout <after 18 ms>", StringComparison.Ordinal));
    }

    [Fact]
    public void Characters_xml_cannot_carry_are_replaced_not_emitted()
    {
        var span = Span(Trace1, 1, 0, "bad\u0001name\uD800 end", 0, 1);
        span.SetAttribute("k", "v\u0000");
        string svg = SvgWaterfall.Render(TraceForest.BuildTrace(new[] { span }));
        XDocument.Parse(svg); // throws on an invalid character
        Assert.Contains("bad\uFFFDname\uFFFD end", svg, StringComparison.Ordinal);
        Assert.Equal("a&lt;b&amp;c&gt;&quot;&#39;\uD83D\uDE00", XmlText.Escape("a<b&c>\"'\uD83D\uDE00"));
    }

    [Fact]
    public void Tooltip_lists_attributes_descriptor_ones_first()
    {
        var descriptor = new SpanDescriptor("PostRepository.Get", ActivityKind.Client, new KeyValue[] { new("code.function.name", "Get") });
        var span = Span(Trace1, 1, 0, "PostRepository.Get", 0, 3, ActivityKind.Client);
        span.Descriptor = descriptor;
        span.SetAttribute("db.collection.name", "blog_post");
        XDocument doc = XDocument.Parse(SvgWaterfall.Render(TraceForest.BuildTrace(new[] { span })));
        string title = doc.Descendants(Svg + "g").First(g => (string?)g.Attribute("class") == "row").Element(Svg + "title")!.Value;
        Assert.Contains("code.function.name = Get\ndb.collection.name = blog_post", title, StringComparison.Ordinal);
        Assert.Contains("client, 3 ms at +0", title, StringComparison.Ordinal);
    }

    [Fact]
    public void The_time_axis_has_readable_ticks()
    {
        XDocument doc = XDocument.Parse(SvgWaterfall.Render(Sample()));
        string[] ticks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => t.Value).ToArray();
        Assert.Equal(new[] { "0", "10 ms", "20 ms", "30 ms", "40 ms" }, ticks);
        Assert.Equal(5_000_000, SvgWaterfall.TickStep(48_500_000, 10));
        Assert.Equal("1.25 ms", SvgWaterfall.FormatDuration(1_250_000));
        Assert.Equal("750 ns", SvgWaterfall.FormatDuration(750));
        Assert.Equal("12.5 \u00B5s", SvgWaterfall.FormatDuration(12_500));
        Assert.Equal("2 s", SvgWaterfall.FormatDuration(2_000_000_000));
    }

    [Fact]
    public void Orphans_render_under_a_dashed_synthetic_root()
    {
        List<SpanRecord> spans = WebRequest();
        spans.RemoveAt(1);
        XDocument doc = XDocument.Parse(SvgWaterfall.Render(TraceForest.Build(spans).Traces.Single()));
        Assert.Single(doc.Descendants(Svg + "rect"), r => (string?)r.Attribute("class") == "synthetic");
        Assert.Equal(8, doc.Descendants(Svg + "rect").Count(r => ((string?)r.Attribute("class"))?.StartsWith("span", StringComparison.Ordinal) == true));
        Assert.Contains("2 orphaned", doc.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Output_is_deterministic_and_matches_the_checked_in_snapshot()
    {
        string first = SvgWaterfall.Render(Sample());
        string second = SvgWaterfall.Render(TraceForest.Build(Enumerable.Reverse(WebRequest()).ToList()).Traces.Single());
        Assert.Equal(first, second);
        string baseline = Path.Combine(SourceDirectory(), "Snapshots", "waterfall.svg");
        if (Environment.GetEnvironmentVariable("OTELGEN_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(baseline)!);
            File.WriteAllText(baseline, first);
        }
        Assert.True(File.Exists(baseline), $"missing {baseline}: run with OTELGEN_UPDATE_SNAPSHOTS=1 once and review it");
        Assert.Equal(File.ReadAllText(baseline).ReplaceLineEndings("\n"), first);
    }

    /// <summary>
    /// Renders the sample to PNG with a real SVG renderer (rsvg-convert, Debian package librsvg2-bin, which
    /// .ci/run installs), into OTELGEN_WATERFALL_PNG or a temp file, and checks a PNG came out; the image
    /// was checked by eye once (docs/img/waterfall.png).
    /// </summary>
    [Fact]
    public void Renders_to_png_with_rsvg_convert()
    {
        const string tool = "/usr/bin/rsvg-convert";
        Assert.True(File.Exists(tool), "rsvg-convert is missing: apt-get install librsvg2-bin (bash .ci/run installs it)");
        string svgPath = Path.Combine(Path.GetTempPath(), $"otelgen-waterfall-{Environment.ProcessId}.svg");
        string pngPath = Environment.GetEnvironmentVariable("OTELGEN_WATERFALL_PNG") ?? Path.ChangeExtension(svgPath, ".png");
        File.WriteAllText(svgPath, SvgWaterfall.Render(Sample()));
        using var process = Process.Start(new ProcessStartInfo(tool, new[] { "-o", pngPath, svgPath }) { RedirectStandardError = true })!;
        string errors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", errors);
        byte[] png = File.ReadAllBytes(pngPath);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png.Take(4));
        File.Delete(svgPath);
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
