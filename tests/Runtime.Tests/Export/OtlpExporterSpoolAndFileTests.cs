using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Text.Json;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

public class OtlpExporterSpoolAndFileTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public void Batches_spool_while_the_collector_is_down_and_replay_when_it_returns()
    {
        string spool = ExportTestKit.UniqueTempDirectory();
        try
        {
            int port = LoopbackCollector.FreePort();
            SpanRing ring = ExportTestKit.RingWith(120);
            OtlpExporterOptions options = ExportTestKit.Options(new Uri($"http://127.0.0.1:{port}/v1/traces"));
            options.Timeout = TimeSpan.FromMilliseconds(300);
            options.SpoolDirectory = spool;
            options.MaxExportBatchSize = 50;
            var exporter = new OtlpExporter(ring, options);
            Assert.True(LoopbackCollector.WaitUntil(() => exporter.Statistics.Spooled == 120, Limit));
            Assert.Equal(3, Directory.GetFiles(spool, "*.otlpbatch").Length);
            Assert.Equal(0, exporter.Statistics.Dropped);

            using var collector = new LoopbackCollector(port: port);
            Assert.True(LoopbackCollector.WaitUntil(() => exporter.Statistics.Replayed == 120, Limit));
            Assert.True(exporter.Shutdown(Limit));
            ExporterStatistics s = exporter.Statistics;
            Assert.Equal(120, s.Exported);
            Assert.Equal(0, s.Dropped);
            Assert.Empty(Directory.GetFiles(spool, "*.otlpbatch"));
            // OTLP/HTTP is at-least-once: when the machine is loaded (the suite builds and runs other test projects
            // at the same time), a reply slower than this test's 300 ms timeout makes the exporter send that batch
            // again although the collector kept it. Every span arrives, in order of first arrival, and is counted once.
            List<string> received = ExportTestKit.ReceivedSpanNames(collector);
            Assert.Equal(Enumerable.Range(0, 120).Select(i => "span-" + i), received.Distinct());
            ExportTestKit.AssertAccounted(exporter, 120);
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public void Shutdown_with_the_collector_down_spools_what_it_could_not_send()
    {
        string spool = ExportTestKit.UniqueTempDirectory();
        try
        {
            int port = LoopbackCollector.FreePort();
            OtlpExporterOptions options = ExportTestKit.Options(new Uri($"http://127.0.0.1:{port}/v1/traces"));
            options.ScheduleDelay = TimeSpan.FromHours(1);
            options.SpoolDirectory = spool;
            var ring = new SpanRing(1024);
            var exporter = new OtlpExporter(ring, options);
            ExportTestKit.Write(ring, 0, 20);
            exporter.Shutdown(TimeSpan.FromSeconds(1.5));
            ExporterStatistics s = exporter.Statistics;
            Assert.Equal(20, s.Spooled);
            Assert.Equal(0, s.Dropped);
            Assert.Single(Directory.GetFiles(spool, "*.otlpbatch"));
            ExportTestKit.AssertAccounted(exporter, 20);
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public void A_corrupt_spool_file_is_skipped_and_reported_and_the_exporter_goes_on()
    {
        string spool = ExportTestKit.UniqueTempDirectory();
        try
        {
            // A batch left by an earlier run, then a garbage file and a truncated copy of the good one.
            using var collector = new LoopbackCollector();
            int downPort = LoopbackCollector.FreePort();
            OtlpExporterOptions first = ExportTestKit.Options(new Uri($"http://127.0.0.1:{downPort}/v1/traces"));
            first.Timeout = TimeSpan.FromMilliseconds(200);
            first.SpoolDirectory = spool;
            var earlier = new OtlpExporter(ExportTestKit.RingWith(10), first);
            Assert.True(LoopbackCollector.WaitUntil(() => earlier.Statistics.Spooled == 10, Limit));
            earlier.Shutdown(TimeSpan.FromSeconds(5));
            string good = Assert.Single(Directory.GetFiles(spool, "*.otlpbatch"));
            File.WriteAllBytes(Path.Combine(spool, "0000000000000000001-1-00000001.otlpbatch"), new byte[] { 1, 2, 3, 4, 5 });
            byte[] bytes = File.ReadAllBytes(good);
            File.WriteAllBytes(Path.Combine(spool, "0000000000000000002-1-00000002.otlpbatch"), bytes[..(bytes.Length / 2)]);
            byte[] flipped = (byte[])bytes.Clone();
            flipped[^1] ^= 0xFF;
            File.WriteAllBytes(Path.Combine(spool, "0000000000000000003-1-00000003.otlpbatch"), flipped);

            OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
            options.SpoolDirectory = spool;
            OtlpExporter? exporter = null;
            string warnings = ExportTestKit.CaptureStderr(() =>
            {
                exporter = new OtlpExporter(ExportTestKit.RingWith(5), options);
                Assert.True(LoopbackCollector.WaitUntil(() => exporter.Statistics.Replayed == 10, Limit));
                Assert.True(exporter.Shutdown(Limit));
            });
            Assert.Contains("skipping corrupt spool file '0000000000000000001-1-00000001.otlpbatch'", warnings);
            Assert.Contains("not an OtelGen spool file", warnings);
            Assert.Contains("truncated", warnings);
            Assert.Contains("checksum mismatch", warnings);
            Assert.Empty(Directory.GetFiles(spool, "*.otlpbatch"));
            Assert.Equal(15, exporter!.Statistics.Exported);
            Assert.Equal(15, ExportTestKit.ReceivedSpanNames(collector).Count);
            ExportTestKit.AssertAccounted(exporter, 5); // its own 5 plus 10 replayed from the earlier run
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public void The_spool_keeps_under_its_size_cap_by_dropping_the_oldest_batches()
    {
        string spool = ExportTestKit.UniqueTempDirectory();
        try
        {
            int port = LoopbackCollector.FreePort();
            OtlpExporterOptions options = ExportTestKit.Options(new Uri($"http://127.0.0.1:{port}/v1/traces"));
            options.Timeout = TimeSpan.FromMilliseconds(200);
            options.SpoolDirectory = spool;
            options.MaxExportBatchSize = 10;
            using var probe = new PooledBuffer();
            new OtlpTraceEncoder(OtlpResource.Create("export-tests")).EncodeProtobuf(Enumerable.Range(40, 10).Select(i => ExportTestKit.Span(i)).ToArray(), probe);
            long oneBatch = probe.Length + 22; // a spool file: 22 header bytes and the request
            options.SpoolMaxBytes = oneBatch * 2 + oneBatch / 2; // room for two batches of ten spans
            var exporter = new OtlpExporter(ExportTestKit.RingWith(50), options);
            Assert.True(LoopbackCollector.WaitUntil(() => exporter.Statistics.Spooled == 50, Limit));
            exporter.Shutdown(TimeSpan.FromSeconds(5));
            ExporterStatistics s = exporter.Statistics;
            string[] files = Directory.GetFiles(spool, "*.otlpbatch");
            Assert.Equal(2, files.Length);
            Assert.True(files.Sum(f => new FileInfo(f).Length) <= options.SpoolMaxBytes);
            Assert.Equal(30, s.DroppedFailed);
            Assert.Equal(30, s.Unspooled);
            ExportTestKit.AssertAccounted(exporter, 50);
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public void The_file_exporter_writes_one_OTLP_JSON_request_per_line()
    {
        string directory = ExportTestKit.UniqueTempDirectory();
        try
        {
            string path = Path.Combine(directory, "sub", "traces.jsonl");
            var options = new OtlpExporterOptions { FilePath = path, MaxExportBatchSize = 4, ScheduleDelay = TimeSpan.FromMilliseconds(20), ServiceName = "file-svc" };
            var exporter = new OtlpExporter(ExportTestKit.RingWith(10), options);
            Assert.True(exporter.Shutdown(Limit));
            string[] lines = File.ReadAllLines(path);
            Assert.Equal(3, lines.Length);
            var names = new List<string>();
            foreach (string line in lines)
            {
                using JsonDocument document = JsonDocument.Parse(line);
                JsonElement resourceSpans = document.RootElement.GetProperty("resourceSpans")[0];
                Assert.Contains(resourceSpans.GetProperty("resource").GetProperty("attributes").EnumerateArray(), a => a.GetProperty("value").GetProperty("stringValue").GetString() == "file-svc");
                names.AddRange(resourceSpans.GetProperty("scopeSpans")[0].GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()!));
            }
            Assert.Equal(Enumerable.Range(0, 10).Select(i => "span-" + i), names);
            Assert.Equal(10, exporter.Statistics.Exported);
            Assert.Equal("file", exporter.TargetName);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Exporter_counts_are_published_on_the_OtelGen_meter()
    {
        using var collector = new LoopbackCollector(i => i == 0 ? new CollectorReply(400) : new CollectorReply(200));
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.MaxQueueSize = 150;
        var exporter = new OtlpExporter(ExportTestKit.RingWith(400), options);
        Assert.True(exporter.ForceFlush(Limit));

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ExporterMetrics.MeterName && instrument.Name.StartsWith("otelgen.exporter.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "reason")
                {
                    key += "/" + tag.Value;
                }
            }
            lock (seen)
            {
                seen[key] = seen.GetValueOrDefault(key) + value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        exporter.Shutdown(Limit);

        // Other exporters of the test process may be alive; ours contributes at least this much.
        Assert.True(seen.GetValueOrDefault("otelgen.exporter.spans.exported") >= 50);
        Assert.True(seen.GetValueOrDefault("otelgen.exporter.spans.dropped/queue_full") >= 250);
        Assert.True(seen.GetValueOrDefault("otelgen.exporter.spans.dropped/rejected") >= 100);
        Assert.True(seen.ContainsKey("otelgen.exporter.exports"));
        Assert.True(seen.ContainsKey("otelgen.exporter.failures"));
        Assert.True(seen.ContainsKey("otelgen.exporter.retries"));
        Assert.True(seen.ContainsKey("otelgen.exporter.queue.size"));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(50, s.Exported);
        Assert.Equal(250, s.DroppedQueueFull);
        Assert.Equal(100, s.DroppedRejected);
        ExportTestKit.AssertAccounted(exporter, 400);
    }
}
