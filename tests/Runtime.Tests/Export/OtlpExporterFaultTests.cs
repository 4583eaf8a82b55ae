using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// The exporter against a real HTTP server on 127.0.0.1, each test with its own ring and exporter. Every
/// test ends by itself and checks exact counts: exported + dropped = produced.
/// </summary>
public class OtlpExporterFaultTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public void Exports_everything_in_batches_of_the_configured_size()
    {
        using var collector = new LoopbackCollector();
        SpanRing ring = ExportTestKit.RingWith(1000);
        var exporter = new OtlpExporter(ring, ExportTestKit.Options(collector.TracesUrl));
        Assert.True(exporter.ForceFlush(Limit));
        Assert.True(exporter.Shutdown(Limit));

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => "span-" + i), ExportTestKit.ReceivedSpanNames(collector));
        Assert.All(collector.Received, r => Assert.True(ExportTestKit.SpanNames(r.Body).Count <= 100));
        Assert.All(collector.Received, r => Assert.Equal("/v1/traces", r.Path));
        Assert.All(collector.Received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(1000, s.Exported);
        Assert.Equal(0, s.Dropped);
        Assert.Equal(collector.Received.Count, s.Exports);
        Assert.True(exporter.IsStopped);
        ExportTestKit.AssertAccounted(exporter, 1000);
    }

    [Fact]
    public void Collector_not_started_then_started_loses_nothing()
    {
        int port = LoopbackCollector.FreePort();
        string unique = Guid.NewGuid().ToString("N");
        SpanRing ring = ExportTestKit.RingWith(250);
        OtlpExporter exporter = null!;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, ExportTestKit.Options(new Uri($"http://127.0.0.1:{port}/{unique}/v1/traces")));
            Assert.True(LoopbackCollector.WaitUntil(() => exporter.Statistics.Retries >= 3, Limit));
        });
        Assert.Contains($"cannot export to the OTLP endpoint http://127.0.0.1:{port}/{unique}/v1/traces", warnings);

        using var collector = new LoopbackCollector(port: port);
        Assert.True(exporter.ForceFlush(Limit));
        Assert.True(exporter.Shutdown(Limit));
        Assert.Equal(Enumerable.Range(0, 250).Select(i => "span-" + i), ExportTestKit.ReceivedSpanNames(collector).OrderBy(n => int.Parse(n.Substring(5))));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(250, s.Exported);
        Assert.Equal(0, s.Dropped);
        Assert.True(s.Retries >= 3);
        ExportTestKit.AssertAccounted(exporter, 250);
    }

    [Fact]
    public void A_503_storm_is_retried_honouring_Retry_After_then_delivered()
    {
        var arrivals = new List<DateTime>();
        using var collector = new LoopbackCollector(i =>
        {
            lock (arrivals)
            {
                arrivals.Add(DateTime.UtcNow);
            }
            return i switch
            {
                0 => new CollectorReply(503, RetryAfter: "1"),
                1 => new CollectorReply(429, RetryAfter: "0"),
                2 => new CollectorReply(502),
                3 => new CollectorReply(504),
                _ => new CollectorReply(200),
            };
        });
        SpanRing ring = ExportTestKit.RingWith(40);
        var exporter = new OtlpExporter(ring, ExportTestKit.Options(collector.TracesUrl));
        Assert.True(exporter.Shutdown(Limit));

        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(5, collector.Requests);
        Assert.Equal(4, s.Retries);
        Assert.Equal(40, s.Exported);
        Assert.Equal(0, s.Dropped);
        Assert.Equal(1, s.Exports);
        // Retry-After: 1 was waited for before the second attempt.
        Assert.True(arrivals[1] - arrivals[0] >= TimeSpan.FromMilliseconds(950), $"{(arrivals[1] - arrivals[0]).TotalMilliseconds} ms");
        ExportTestKit.AssertAccounted(exporter, 40);
    }

    [Fact]
    public void A_collector_slower_than_the_timeout_fails_the_batch_which_is_dropped_and_counted()
    {
        using var collector = new LoopbackCollector(_ => new CollectorReply(200, Delay: TimeSpan.FromSeconds(2)));
        SpanRing ring = ExportTestKit.RingWith(30);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.Timeout = TimeSpan.FromMilliseconds(400);
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.ForceFlush(Limit));
        Assert.True(exporter.Shutdown(Limit));

        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(0, s.Exported);
        Assert.Equal(30, s.DroppedFailed);
        Assert.Equal(1, s.Failures);
        Assert.Equal(1, collector.Requests);
        ExportTestKit.AssertAccounted(exporter, 30);
    }

    [Fact]
    public void A_400_is_dropped_counted_not_retried_and_explained_once()
    {
        byte[] status = GoogleRpcStatus("spans[3]: invalid trace id");
        using var collector = new LoopbackCollector(_ => new CollectorReply(400, status, "application/x-protobuf"));
        SpanRing ring = ExportTestKit.RingWith(250);
        OtlpExporter? exporter = null;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, ExportTestKit.Options(collector.UniqueTracesUrl));
            Assert.True(exporter.Shutdown(Limit));
        });

        ExporterStatistics s = exporter!.Statistics;
        Assert.Equal(3, collector.Requests);
        Assert.Equal(0, s.Retries);
        Assert.Equal(250, s.DroppedRejected);
        Assert.Equal(3, s.Failures);
        Assert.Equal(0, s.Exported);
        string[] lines = warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string line = Assert.Single(lines, l => l.Contains("HTTP 400"));
        Assert.Contains("spans[3]: invalid trace id", line);
        Assert.Contains("not retried", line);
        ExportTestKit.AssertAccounted(exporter, 250);
    }

    [Fact]
    public void A_413_is_dropped_not_retried_and_suggests_smaller_batches()
    {
        using var collector = new LoopbackCollector(i => i == 0 ? new CollectorReply(413) : new CollectorReply(200));
        SpanRing ring = ExportTestKit.RingWith(150);
        OtlpExporter? exporter = null;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, ExportTestKit.Options(collector.UniqueTracesUrl));
            Assert.True(exporter.Shutdown(Limit));
        });
        ExporterStatistics s = exporter!.Statistics;
        Assert.Equal(2, collector.Requests);
        Assert.Equal(100, s.DroppedRejected);
        Assert.Equal(50, s.Exported);
        Assert.Equal(0, s.Retries);
        Assert.Contains("HTTP 413", warnings);
        Assert.Contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", warnings);
        ExportTestKit.AssertAccounted(exporter, 150);
    }

    [Fact]
    public void A_partial_success_is_logged_counted_and_not_retried()
    {
        // ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1: 3, error_message = 2: "too old" } }
        byte[] partial = { 0x0A, 0x0B, 0x08, 0x03, 0x12, 0x07, (byte)'t', (byte)'o', (byte)'o', (byte)' ', (byte)'o', (byte)'l', (byte)'d' };
        using var collector = new LoopbackCollector(_ => new CollectorReply(200, partial, "application/x-protobuf"));
        SpanRing ring = ExportTestKit.RingWith(20);
        OtlpExporter? exporter = null;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, ExportTestKit.Options(collector.UniqueTracesUrl));
            Assert.True(exporter.Shutdown(Limit));
        });
        ExporterStatistics s = exporter!.Statistics;
        Assert.Equal(1, collector.Requests);
        Assert.Equal(17, s.Exported);
        Assert.Equal(3, s.DroppedRejected);
        Assert.Contains("3 item(s) rejected: too old", warnings);
        ExportTestKit.AssertAccounted(exporter, 20);
    }

    [Fact]
    public void Headers_gzip_and_json_reach_the_collector_and_secrets_never_reach_stderr()
    {
        using var collector = new LoopbackCollector(i => i == 0 ? new CollectorReply(401, Encoding.UTF8.GetBytes("{\"message\":\"bad token\"}"), "application/json") : new CollectorReply(200));
        SpanRing ring = ExportTestKit.RingWith(30);
        OtlpExporterOptions options = ExportTestKit.Options(collector.UniqueTracesUrl);
        options.Protocol = OtlpProtocol.HttpJson;
        options.Gzip = true;
        options.Headers.Add(new("Authorization", "Bearer s3cr3t-t0ken"));
        options.Headers.Add(new("x-tenant", "blue"));
        options.MaxExportBatchSize = 15;
        OtlpExporter? exporter = null;
        string warnings = ExportTestKit.CaptureStderr(() =>
        {
            exporter = new OtlpExporter(ring, options);
            Assert.True(exporter.Shutdown(Limit));
        });
        Assert.Contains("HTTP 401", warnings);
        Assert.DoesNotContain("s3cr3t", warnings);
        ReceivedRequest request = Assert.Single(collector.Received);
        Assert.Equal("gzip", request.ContentEncoding);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("Bearer s3cr3t-t0ken", request.Headers["Authorization"]);
        Assert.Equal("blue", request.Headers["x-tenant"]);
        using var document = System.Text.Json.JsonDocument.Parse(request.Body);
        Assert.Equal(15, document.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans").GetArrayLength());
        Assert.Equal(15, exporter!.Statistics.Exported);
        Assert.Equal(15, exporter.Statistics.DroppedRejected);
        ExportTestKit.AssertAccounted(exporter, 30);
    }

    [Fact]
    public void More_than_the_max_queue_size_drops_the_oldest_and_counts_them()
    {
        using var collector = new LoopbackCollector();
        SpanRing ring = ExportTestKit.RingWith(1000);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.MaxQueueSize = 200;
        options.MaxExportBatchSize = 50;
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.Shutdown(Limit));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(800, s.DroppedQueueFull);
        Assert.Equal(200, s.Exported);
        Assert.Equal(Enumerable.Range(800, 200).Select(i => "span-" + i), ExportTestKit.ReceivedSpanNames(collector));
        ExportTestKit.AssertAccounted(exporter, 1000);
    }

    [Fact]
    public void Spans_overwritten_in_the_ring_before_export_are_counted_dropped()
    {
        using var collector = new LoopbackCollector();
        var ring = new SpanRing(64);
        var exporter = new OtlpExporter(ring, ExportTestKit.Options(collector.TracesUrl));
        Assert.True(exporter.ForceFlush(Limit));
        ExportTestKit.Write(ring, 0, 200); // faster than a 20 ms schedule: most are overwritten
        Assert.True(exporter.Shutdown(Limit));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(200, s.Exported + s.DroppedOverwritten);
        Assert.True(s.Exported >= 64);
        Assert.Equal(s.Exported, ExportTestKit.ReceivedSpanNames(collector).Count);
        ExportTestKit.AssertAccounted(exporter, 200);
    }

    [Fact]
    public void Shutdown_flushes_everything_even_with_a_long_schedule_delay()
    {
        using var collector = new LoopbackCollector();
        var ring = new SpanRing(4096);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.ScheduleDelay = TimeSpan.FromHours(1);
        options.MaxExportBatchSize = 512;
        var exporter = new OtlpExporter(ring, options);
        ExportTestKit.Write(ring, 0, 300);
        Assert.True(exporter.Shutdown(Limit));
        Assert.True(exporter.IsStopped);
        Assert.Equal(300, exporter.Statistics.Exported);
        Assert.Equal(300, ExportTestKit.ReceivedSpanNames(collector).Count);
        ExportTestKit.AssertAccounted(exporter, 300);
    }

    [Fact]
    public void A_stage_sees_batches_before_encoding_and_its_filtering_is_counted()
    {
        using var collector = new LoopbackCollector();
        SpanRing ring = ExportTestKit.RingWith(100);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.Stage = new KeepEven();
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.Shutdown(Limit));
        Assert.Equal(50, exporter.Statistics.Exported);
        Assert.Equal(50, exporter.Statistics.DroppedFiltered);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "span-" + (i * 2)), ExportTestKit.ReceivedSpanNames(collector));
        ExportTestKit.AssertAccounted(exporter, 100);
    }

    private sealed class KeepEven : ISpanExportStage
    {
        public int Process(SpanRecord[] batch, int count, out int held)
        {
            held = 0;
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                if (batch[i].SpanId.Value % 2 == 1)
                {
                    (batch[kept], batch[i]) = (batch[i], batch[kept]);
                    kept++;
                }
            }
            return kept;
        }

        public int Release(SpanRecord[] batch, bool final) => 0;
    }

    internal static byte[] GoogleRpcStatus(string message)
    {
        byte[] text = Encoding.UTF8.GetBytes(message);
        var bytes = new List<byte> { 0x08, 0x03, 0x12, (byte)text.Length };
        bytes.AddRange(text);
        return bytes.ToArray();
    }
}
