using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Metrics;
using OtelGen.Runtime.Tests.Export;
using Xunit;

namespace OtelGen.Runtime.Tests.Folds;

/// <summary>
/// OTLP data model: a point of a cumulative stream (sum, histogram, exponential histogram) carries the
/// stream's start, and <c>start_time_unix_nano &lt;= time_unix_nano</c>; a gauge point carries no start (or
/// one not later than its time). Checked for every instrument kind, on every export, the first included,
/// through the real exporter and a real loopback listener, decoded without the exporter's code.
/// </summary>
public class OtlpMetricsTimeOrderTests
{
    /// <summary>One decoded data point: which export, metric, kind and series; its start (0 when absent) and time.</summary>
    private sealed record Point(int Export, string Metric, string Kind, string Series, ulong Start, ulong Time);

    private static readonly string[] s_instruments =
    {
        "t.counter", "t.updown", "t.histogram", "t.gauge", "t.obs.counter", "t.obs.updown", "t.obs.gauge",
    };

    [Theory]
    [InlineData(OtlpProtocol.HttpProtobuf, OtlpHistogramAggregation.ExplicitBucket)]
    [InlineData(OtlpProtocol.HttpProtobuf, OtlpHistogramAggregation.Base2Exponential)]
    [InlineData(OtlpProtocol.HttpJson, OtlpHistogramAggregation.ExplicitBucket)]
    [InlineData(OtlpProtocol.HttpJson, OtlpHistogramAggregation.Base2Exponential)]
    public void Every_point_of_every_kind_starts_no_later_than_its_time_on_every_export(OtlpProtocol protocol, OtlpHistogramAggregation histograms)
    {
        using var collectorEndpoint = new LoopbackCollector();
        using var meter = new Meter("test.timeorder." + Guid.NewGuid().ToString("N"));
        int round = 0;
        // Observable callbacks that take a while (as real ones reading the process do) and report a new
        // series each round: the series is made while the collect runs, after it began.
        IEnumerable<Measurement<long>> Observe(long value)
        {
            Thread.Sleep(2);
            int r = Volatile.Read(ref round);
            return new[]
            {
                new Measurement<long>(value, new KeyValuePair<string, object?>("round", "all")),
                new Measurement<long>(value + r, new KeyValuePair<string, object?>("round", r.ToString(CultureInfo.InvariantCulture))),
            };
        }
        meter.CreateObservableCounter("t.obs.counter", () => Observe(10));
        meter.CreateObservableUpDownCounter("t.obs.updown", () => Observe(-3));
        meter.CreateObservableGauge("t.obs.gauge", () => Observe(7));
        Counter<long> counter = meter.CreateCounter<long>("t.counter");
        UpDownCounter<double> updown = meter.CreateUpDownCounter<double>("t.updown");
        Histogram<double> histogram = meter.CreateHistogram<double>("t.histogram", "s");
        Gauge<double> gauge = meter.CreateGauge<double>("t.gauge");
        void RecordSync(int r)
        {
            var tag = new KeyValuePair<string, object?>("round", r.ToString(CultureInfo.InvariantCulture));
            counter.Add(1);
            counter.Add(2, tag);
            updown.Add(-1.5);
            updown.Add(0.5, tag);
            histogram.Record(0.02);
            histogram.Record(0.3, tag);
            gauge.Record(1.5);
            gauge.Record(2.5, tag);
        }

        // A new collector: its first collect is this stream's first export, as at a process's start.
        using var metrics = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });
        var exporter = new OtlpMetricsExporter(new OtlpMetricsExporterOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{collectorEndpoint.Port}/v1/metrics"),
            Protocol = protocol,
            Histograms = histograms,
            Collector = metrics,
            Timeout = TimeSpan.FromSeconds(5),
            ServiceName = "timeorder-test",
            FlushOnProcessExit = false,
        }, startThread: false);
        for (int i = 0; i < 3; i++)
        {
            Volatile.Write(ref round, i);
            RecordSync(i);
            Assert.True(exporter.ExportNow());
        }
        Volatile.Write(ref round, 3);
        RecordSync(3);
        exporter.Dispose(); // the last export
        Assert.Equal(0, exporter.Failures);
        Assert.Equal(4, collectorEndpoint.Requests);

        var points = new List<Point>();
        int export = 0;
        foreach (ReceivedRequest request in collectorEndpoint.Received)
        {
            points.AddRange(protocol == OtlpProtocol.HttpJson ? FromJson(export, request.Body) : FromProtobuf(export, request.Body));
            export++;
        }
        string histogramKind = histograms == OtlpHistogramAggregation.Base2Exponential ? "exponentialHistogram" : "histogram";
        for (int e = 0; e < 4; e++)
        {
            foreach (string instrument in s_instruments)
            {
                // Every kind in every export, with a series made in that very export.
                Assert.Contains(points, p => p.Export == e && p.Metric == instrument && p.Series.Contains("round=" + e, StringComparison.Ordinal));
            }
        }
        Assert.All(points.Where(p => p.Metric == "t.histogram"), p => Assert.Equal(histogramKind, p.Kind));
        Assert.All(points, p =>
        {
            if (p.Kind == "gauge")
            {
                // The data model: a gauge has no start; one sent anyway must not be after the time.
                Assert.True(p.Start == 0 || p.Start <= p.Time, $"{p}");
            }
            else
            {
                Assert.True(p.Start > 0, $"cumulative point without a start: {p}");
                Assert.True(p.Start <= p.Time, $"start after time by {(long)(p.Start - p.Time)} ns: {p}");
            }
        });
        // Cumulative: a series keeps its start from export to export, and time moves on.
        foreach (IGrouping<(string, string), Point> series in points.Where(p => p.Kind != "gauge").GroupBy(p => (p.Metric, p.Series)))
        {
            Assert.Single(series.Select(p => p.Start).Distinct());
        }
        ulong[] times = points.GroupBy(p => p.Export).OrderBy(g => g.Key).Select(g => g.Max(p => p.Time)).ToArray();
        for (int i = 1; i < times.Length; i++)
        {
            Assert.True(times[i] > times[i - 1]);
        }
    }

    [Fact]
    public void A_first_collect_stamps_the_snapshot_after_every_series_it_holds()
    {
        using var meter = new Meter("test.timeorder.snapshot." + Guid.NewGuid().ToString("N"));
        meter.CreateObservableCounter("t.obs.counter", () => { Thread.Sleep(2); return 5L; });
        meter.CreateObservableGauge("t.obs.gauge", () => { Thread.Sleep(2); return 1.5; });
        using var collector = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });
        MetricsSnapshot first = collector.Collect();
        Assert.Equal(2, first.Metrics.Count);
        Assert.All(first.Metrics.SelectMany(m => m.Points), p => Assert.True(p.StartUnixNano <= first.TimeUnixNano, $"start {p.StartUnixNano} > time {first.TimeUnixNano}"));
    }

    private static IEnumerable<Point> FromJson(int export, byte[] body)
    {
        using JsonDocument doc = JsonDocument.Parse(body);
        var points = new List<Point>();
        foreach (JsonElement rm in doc.RootElement.GetProperty("resourceMetrics").EnumerateArray())
        {
            foreach (JsonElement sm in rm.GetProperty("scopeMetrics").EnumerateArray())
            {
                foreach (JsonElement metric in sm.GetProperty("metrics").EnumerateArray())
                {
                    string name = metric.GetProperty("name").GetString()!;
                    foreach (string kind in new[] { "sum", "gauge", "histogram", "exponentialHistogram" })
                    {
                        if (!metric.TryGetProperty(kind, out JsonElement data))
                        {
                            continue;
                        }
                        foreach (JsonElement dp in data.GetProperty("dataPoints").EnumerateArray())
                        {
                            // OTLP/JSON: fixed64 fields are decimal strings.
                            ulong start = dp.TryGetProperty("startTimeUnixNano", out JsonElement s) ? ulong.Parse(s.GetString()!, CultureInfo.InvariantCulture) : 0;
                            ulong time = ulong.Parse(dp.GetProperty("timeUnixNano").GetString()!, CultureInfo.InvariantCulture);
                            string series = dp.TryGetProperty("attributes", out JsonElement attributes)
                                ? string.Join(",", attributes.EnumerateArray().Select(a => a.GetProperty("key").GetString() + "=" + a.GetProperty("value").GetProperty("stringValue").GetString()))
                                : "";
                            points.Add(new Point(export, name, kind, series, start, time));
                        }
                    }
                }
            }
        }
        return points;
    }

    private static IEnumerable<Point> FromProtobuf(int export, byte[] body)
    {
        var points = new List<Point>();
        // ExportMetricsServiceRequest.resource_metrics = 1; ResourceMetrics.scope_metrics = 2; ScopeMetrics.metrics = 2;
        // Metric: name 1, gauge 5, sum 7, histogram 9, exponential_histogram 10; each: data_points = 1;
        // every data point: start_time_unix_nano 2, time_unix_nano 3 (fixed64); attributes 7 / 9 / 1 (KeyValue: key 1, value 2 { string_value 1 }).
        var kinds = new Dictionary<int, (string Kind, int Attributes)> { [5] = ("gauge", 7), [7] = ("sum", 7), [9] = ("histogram", 9), [10] = ("exponentialHistogram", 1) };
        foreach (WireField rm in WireField.Parse(body).Where(f => f.Number == 1))
        {
            foreach (WireField sm in rm.Message.Where(f => f.Number == 2))
            {
                foreach (WireField metric in sm.Message.Where(f => f.Number == 2))
                {
                    string name = metric.Message.Single(f => f.Number == 1).Text;
                    foreach (WireField data in metric.Message.Where(f => kinds.ContainsKey(f.Number)))
                    {
                        (string kind, int attributesField) = kinds[data.Number];
                        foreach (WireField dp in data.Message.Where(f => f.Number == 1))
                        {
                            List<WireField> fields = dp.Message;
                            WireField? start = fields.SingleOrDefault(f => f.Number == 2);
                            WireField time = fields.Single(f => f.Number == 3);
                            Assert.Equal(1, time.WireType);
                            string series = string.Join(",", fields.Where(f => f.Number == attributesField)
                                .Select(kv => kv.Message.Single(f => f.Number == 1).Text + "=" + kv.Message.Single(f => f.Number == 2).Message.Single(f => f.Number == 1).Text));
                            points.Add(new Point(export, name, kind, series, start?.Value ?? 0, time.Value));
                        }
                    }
                }
            }
        }
        return points;
    }
}
