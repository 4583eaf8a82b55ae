using System;
using System.Collections.Generic;
using System.Linq;
using OtelGen.Export;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// How much the exporter holds and how long it keeps going: the default queue is the ring, a burst the
/// ring holds is exported whole, and the flush on process exit goes on while batches succeed and stops at
/// the first that fails. A real HTTP server on 127.0.0.1; exact counts, no timing assertions.
/// </summary>
public class OtlpExporterDrainTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public void Unset_the_queue_is_the_ring_and_set_it_is_honoured_exactly()
    {
        using var collector = new LoopbackCollector();
        var ring = new SpanRing(16384);
        OtlpExporterOptions unset = ExportTestKit.Options(collector.TracesUrl);
        unset.MaxQueueSize = 0;
        using (var exporter = new OtlpExporter(ring, unset))
        {
            Assert.Equal(16384, exporter.Options.MaxQueueSize);
        }
        OtlpExporterOptions set = ExportTestKit.Options(collector.TracesUrl);
        set.MaxQueueSize = 3000;
        using (var exporter = new OtlpExporter(ring, set))
        {
            Assert.Equal(3000, exporter.Options.MaxQueueSize);
        }
        Assert.Equal(32768, Tracing.DefaultRingCapacity);
    }

    [Theory]
    [InlineData(100, 10, 412, 100, 41)]   // 10 spans a millisecond, 412 to go: 41 ms
    [InlineData(5000, 2, 256, 100, 1)]    // a flood: at least 1 ms, never a busy loop
    [InlineData(10, 50, 500, 100, 100)]   // a trickle: at most the longest poll
    [InlineData(0, 50, 500, 100, 100)]    // nothing came: the longest poll
    [InlineData(700, 50, -188, 100, 1)]   // a batch is already waiting
    public void The_exporter_sleeps_about_as_long_as_a_batch_takes_to_fill(long arrived, int overMillis, long missing, int maxPoll, int expected)
    {
        Assert.Equal(expected, OtlpExporter.NextPoll(arrived, TimeSpan.FromMilliseconds(overMillis), missing, maxPoll));
    }

    [Fact]
    public void A_burst_the_ring_holds_is_exported_whole_at_the_default_queue()
    {
        // 12,000 spans written at once: six times the OTel spec's default BSP queue (2048), within the ring.
        using var collector = new LoopbackCollector();
        SpanRing ring = ExportTestKit.RingWith(12_000, capacity: 16384);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.MaxQueueSize = 0;
        options.MaxExportBatchSize = 512;
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.ForceFlush(Limit));
        Assert.True(exporter.Shutdown(Limit));

        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(12_000, s.Exported);
        Assert.Equal(0, s.Dropped);
        Assert.Equal(12_000, ExportTestKit.ReceivedSpanNames(collector).Distinct().Count());
        ExportTestKit.AssertAccounted(exporter, 12_000);
    }

    [Fact]
    public void The_exit_flush_goes_on_past_one_export_timeout_while_batches_succeed()
    {
        // Each reply takes 100 ms and the export timeout is 1 s (ten times that): 20 batches take at least
        // twice one timeout (the old bound of the whole exit flush), and every one of them must go out.
        using var collector = new LoopbackCollector(_ => new CollectorReply(200, Delay: TimeSpan.FromMilliseconds(100)));
        SpanRing ring = ExportTestKit.RingWith(2000);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.ScheduleDelay = TimeSpan.FromHours(1); // nothing goes out before the exit
        options.Timeout = TimeSpan.FromSeconds(1);
        options.ExitFlushLimit = Limit;
        var exporter = new OtlpExporter(ring, options);

        OtlpExporter.FlushOnExit(new List<OtlpExporter> { exporter });

        Assert.True(exporter.IsStopped);
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(2000, s.Exported);
        Assert.Equal(20, s.Exports);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => "span-" + i), ExportTestKit.ReceivedSpanNames(collector));
    }

    [Fact]
    public void The_exit_flush_stops_at_the_first_batch_that_fails()
    {
        // The collector is overloaded for good: the first batch is retried within its timeout and fails;
        // the exit flush must not spend another timeout on each of the nine batches after it.
        using var collector = new LoopbackCollector(_ => new CollectorReply(503));
        SpanRing ring = ExportTestKit.RingWith(1000);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.ScheduleDelay = TimeSpan.FromHours(1);
        options.Timeout = TimeSpan.FromMilliseconds(300);
        options.ExitFlushLimit = Limit;
        var exporter = new OtlpExporter(ring, options);

        OtlpExporter.FlushOnExit(new List<OtlpExporter> { exporter });

        Assert.True(exporter.IsStopped);
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(1, s.Failures);
        Assert.Equal(100, s.DroppedFailed);
        Assert.Equal(0, s.Exported);
        Assert.Equal(900, s.Pending);
        // Every attempt but possibly the last reached the collector: the deadline may cut the last one off
        // before its request is read.
        Assert.InRange(collector.Requests, s.Retries, s.Retries + 1);
        ExportTestKit.AssertAccounted(exporter, 1000);
    }

    [Fact]
    public void Both_clients_retry_and_refuse_alike_the_plain_one_and_HttpClient()
    {
        // Plain http with no proxy goes through the exporter's own HTTP/1.1 client; a handler given by the
        // caller (or https, or a proxy) through HttpClient. Same answers, same outcomes.
        foreach (bool viaHttpClient in new[] { false, true })
        {
            using var collector = new LoopbackCollector(i => i switch
            {
                0 => new CollectorReply(503, RetryAfter: "0"),
                1 => new CollectorReply(200),
                _ => new CollectorReply(400, System.Text.Encoding.UTF8.GetBytes("bad"), "text/plain"),
            });
            using var transport = new OtlpHttpTransport(collector.TracesUrl, OtelGen.Export.Otlp.OtlpProtocol.HttpProtobuf, retry: new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(10) },
                handler: viaHttpClient ? new System.Net.Http.SocketsHttpHandler() : null);
            ExportResult accepted = transport.Send(new byte[] { 1, 2, 3 }, DateTime.UtcNow + Limit);
            Assert.Equal((ExportOutcome.Success, 2, 200), (accepted.Outcome, accepted.Attempts, accepted.StatusCode));
            ExportResult refused = transport.Send(new byte[] { 4 }, DateTime.UtcNow + Limit);
            Assert.Equal((ExportOutcome.Rejected, 1, 400), (refused.Outcome, refused.Attempts, refused.StatusCode));
            Assert.Equal(3, collector.Requests);
        }
    }
}
