using System;
using System.Diagnostics;
using System.Linq;
using OtelGen.Export;
using OtelGen.Runtime.Tests.Export;
using OtelGen.Sampling;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public class TailSamplingExportTests
{
    private static SpanRecord Span(ulong trace, ulong id, ulong parent, string name, bool error = false, bool sampled = false) => new()
    {
        TraceId = new TraceId(0xe2e, trace),
        SpanId = new SpanId(id),
        ParentSpanId = new SpanId(parent),
        TraceFlags = sampled ? (byte)1 : (byte)0,
        Name = name,
        Kind = ActivityKind.Internal,
        StartUnixNano = 1_700_000_000_000_000_000,
        EndUnixNano = 1_700_000_000_001_000_000,
        StatusCode = error ? SpanStatusCode.Error : SpanStatusCode.Unset,
    };

    [Fact]
    public void The_exporter_sends_only_what_the_tail_stage_keeps_and_its_books_balance()
    {
        using var collector = new LoopbackCollector();
        var ring = new SpanRing(1024);
        var stage = new TailSamplingStage(new TailSamplerSettings { Policies = TailPolicies.Error | TailPolicies.Promoted });
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.Stage = stage;
        using var exporter = new OtlpExporter(ring, options);

        // 1: error in a child; 2: plain, unsampled; 3: promoted job span; 4: plain but head-sampled;
        // 5: a child whose root never ends here (exported at shutdown).
        ring.Write(Span(1, 2, 1, "failing.child", error: true));
        ring.Write(Span(1, 1, 0, "root.1"));
        ring.Write(Span(2, 2, 1, "plain.child"));
        ring.Write(Span(2, 1, 0, "root.2"));
        ring.Write(Span(3, 2, 1, "job.queue_wait"));
        ring.Write(Span(3, 1, 0, "root.3"));
        ring.Write(Span(4, 1, 0, "root.4", sampled: true));
        ring.Write(Span(5, 2, 1, "orphan.child"));

        Assert.True(exporter.Shutdown(TimeSpan.FromSeconds(20)));
        var names = ExportTestKit.ReceivedSpanNames(collector).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "failing.child", "job.queue_wait", "orphan.child", "root.1", "root.3", "root.4" }, names);
        Assert.Equal(2, exporter.Statistics.DroppedFiltered);
        Assert.Equal(0, exporter.Statistics.Held);
        ExportTestKit.AssertAccounted(exporter, produced: 8);
        Assert.Equal(1, stage.Sampler.KeptForError);
        Assert.Equal(1, stage.Sampler.KeptForPromotion);
        Assert.Equal(1, stage.Sampler.KeptByHead);
        Assert.Equal(1, stage.Sampler.ExpiredTraces);
        Assert.Equal(1, stage.Sampler.DroppedTraces);
    }

    [Fact]
    public void An_exporter_started_while_tail_sampling_is_configured_gets_a_stage_of_its_own()
    {
        using var collector = new LoopbackCollector();
        SamplingSettings.Configure(new SamplingOptions { Spec = "tail:error" });
        OtlpExporter? exporter = null;
        try
        {
            exporter = OtlpExporter.Start(ExportTestKit.Options(collector.TracesUrl));
            Assert.NotNull(exporter);
            Tracing.Ring.Write(Span(0x51, 2, 1, "wired.failing.child", error: true));
            Tracing.Ring.Write(Span(0x51, 1, 0, "wired.root.kept"));
            Tracing.Ring.Write(Span(0x52, 1, 0, "wired.root.dropped"));
            Assert.True(exporter!.Shutdown(TimeSpan.FromSeconds(20)), "shutdown did not finish: " + exporter.Statistics);
            var names = ExportTestKit.ReceivedSpanNames(collector).Where(n => n.StartsWith("wired.", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal);
            Assert.Equal(new[] { "wired.failing.child", "wired.root.kept" }, names);
        }
        finally
        {
            SamplingSettings.Reset();
        }
    }
}
