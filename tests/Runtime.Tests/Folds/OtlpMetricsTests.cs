using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Text;
using System.Text.Json;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Metrics;
using OtelGen.Runtime.Tests.Export;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.Folds.SampleSpans;

namespace OtelGen.Runtime.Tests.Folds;

public class OtlpMetricsTests
{
    private static List<WireField> Parse(byte[] data) => WireField.Parse(data);

    private static WireField One(List<WireField> message, int number) => Assert.Single(message, f => f.Number == number);
    private static IEnumerable<WireField> All(List<WireField> message, int number) => message.Where(f => f.Number == number);

    private static (MetricsSnapshot Snapshot, SpanRecord Span) Sample()
    {
        var meter = new Meter("test.otlp." + Guid.NewGuid().ToString("N"), "1.2.3");
        using var collector = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) || i.Meter.Name == RuntimeMetrics.MeterName });
        meter.CreateCounter<long>("app.requests", "{request}", "Requests.").Add(5, new KeyValuePair<string, object?>("http.route", "/a"));
        meter.CreateUpDownCounter<double>("app.level").Add(-1.5);
        meter.CreateObservableGauge("app.temperature", () => 21.5, "Cel");
        Histogram<double> h = meter.CreateHistogram<double>("app.latency", "s");
        foreach (double v in new[] { 0.001, 0.02, 0.3, 0, -0.5 })
        {
            h.Record(v);
        }
        var server = Span(Trace1, 0x5151, 0, "GET /a", 0, 42, ActivityKind.Server);
        server.SetAttribute("http.request.method", "GET");
        server.SetAttribute("http.route", "/a");
        server.SetAttribute("http.response.status_code", 200L);
        Tracing.OnEnd(server);
        MetricsSnapshot snapshot = collector.Collect();
        meter.Dispose();
        return (snapshot, server);
    }

    [Fact]
    public void Protobuf_carries_sums_gauges_histograms_and_exemplars_with_the_spec_field_numbers()
    {
        (MetricsSnapshot snapshot, SpanRecord server) = Sample();
        using var buffer = new PooledBuffer(1024);
        new OtlpMetricsEncoder(OtlpResource.Create("folds-test")).EncodeProtobuf(snapshot, buffer);

        List<WireField> request = Parse(buffer.WrittenSpan.ToArray());
        List<WireField> resourceMetrics = One(request, 1).Message;
        List<WireField> resource = One(resourceMetrics, 1).Message;
        Assert.Contains(All(resource, 1), kv => One(kv.Message, 1).Text == "service.name" && One(One(kv.Message, 2).Message, 1).Text == "folds-test");
        List<List<WireField>> scopes = All(resourceMetrics, 2).Select(f => f.Message).ToList();
        Assert.Equal(2, scopes.Count); // OtelGen and the test meter
        var metrics = scopes.SelectMany(s => All(s, 2)).Select(f => f.Message).ToDictionary(m => One(m, 1).Text);

        // Counter: Sum (7), cumulative (2), monotonic, as_int (6, sfixed64).
        List<WireField> sum = One(metrics["app.requests"], 7).Message;
        Assert.Equal(2ul, One(sum, 2).Value);
        Assert.Equal(1ul, One(sum, 3).Value);
        List<WireField> sumPoint = One(sum, 1).Message;
        Assert.Equal(5ul, One(sumPoint, 6).Value);
        Assert.Equal("http.route", One(One(sumPoint, 7).Message, 1).Text);
        Assert.Equal("{request}", One(metrics["app.requests"], 3).Text);
        Assert.Equal("Requests.", One(metrics["app.requests"], 2).Text);
        // Up-down counter: not monotonic, as_double (4).
        List<WireField> level = One(metrics["app.level"], 7).Message;
        Assert.Equal(0ul, One(level, 3).Value);
        Assert.Equal(-1.5, One(One(level, 1).Message, 4).Double);
        // Observable gauge: Gauge (5).
        Assert.Equal(21.5, One(One(One(metrics["app.temperature"], 5).Message, 1).Message, 4).Double);
        // Histogram (9): count, sum, bucket counts (packed fixed64), bounds (packed double), min, max.
        List<WireField> hp = One(One(metrics["app.latency"], 9).Message, 1).Message;
        Assert.Equal(5ul, One(hp, 4).Value);
        Assert.Equal(-0.179, One(hp, 5).Double, 12);
        byte[] counts = One(hp, 6).Bytes;
        Assert.Equal(15 * 8, counts.Length);
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64LittleEndian(counts)); // -0.5, 0, 0.001 <= 0.005
        Assert.Equal(14 * 8, One(hp, 7).Bytes.Length);
        Assert.Equal(0.005, BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(One(hp, 7).Bytes)));
        Assert.Equal(10.0, BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(One(hp, 7).Bytes.AsSpan(13 * 8))));
        Assert.Equal(-0.5, One(hp, 11).Double);
        Assert.Equal(0.3, One(hp, 12).Double);

        // The OtelGen request duration: its exemplar names the span.
        List<WireField> httpPoint = One(One(metrics["http.server.request.duration"], 9).Message, 1).Message;
        List<WireField> exemplar = One(httpPoint, 8).Message;
        Assert.Equal(0.042, One(exemplar, 3).Double, 12);
        Assert.Equal(server.SpanId.Value, BinaryPrimitives.ReadUInt64BigEndian(One(exemplar, 4).Bytes));
        Assert.Equal(server.TraceId, TraceId.FromBytes(One(exemplar, 5).Bytes));
        Assert.True(One(exemplar, 2).Value > 0);
    }

    [Fact]
    public void Exponential_histograms_have_scale_zero_count_and_offset_buckets()
    {
        (MetricsSnapshot snapshot, _) = Sample();
        using var buffer = new PooledBuffer(1024);
        new OtlpMetricsEncoder(OtlpResource.Create("folds-test"), OtlpHistogramAggregation.Base2Exponential).EncodeProtobuf(snapshot, buffer);
        var metrics = All(One(Parse(buffer.WrittenSpan.ToArray()), 1).Message, 2).SelectMany(s => All(s.Message, 2)).Select(f => f.Message).ToDictionary(m => One(m, 1).Text);
        List<WireField> exp = One(metrics["app.latency"], 10).Message;
        Assert.Equal(2ul, One(exp, 2).Value);
        List<WireField> point = One(exp, 1).Message;
        Base2ExponentialHistogram expected = snapshot.Find("app.latency")!.Points[0].Histogram!.Exponential;
        Assert.Equal(5ul, One(point, 4).Value);
        ulong zigzag = One(point, 6).Value;
        Assert.Equal(expected.Scale, (int)(zigzag >> 1) ^ -(int)(zigzag & 1));
        Assert.Equal(1ul, One(point, 7).Value); // one zero
        List<WireField> positive = One(point, 8).Message;
        long[] positiveCounts = expected.GetBucketCounts(true, out int offset);
        ulong offsetZigzag = One(positive, 1).Value;
        Assert.Equal(offset, (int)(offsetZigzag >> 1) ^ -(int)(offsetZigzag & 1));
        Assert.Equal(3, positiveCounts.Sum());
        Assert.NotEmpty(All(point, 9)); // the negative value
    }

    [Fact]
    public void Json_follows_the_OTLP_JSON_mapping()
    {
        (MetricsSnapshot snapshot, SpanRecord server) = Sample();
        using var buffer = new PooledBuffer(1024);
        new OtlpMetricsEncoder(OtlpResource.Create("folds-test")).EncodeJson(snapshot, buffer);
        using JsonDocument doc = JsonDocument.Parse(buffer.WrittenMemory);
        JsonElement rm = doc.RootElement.GetProperty("resourceMetrics")[0];
        Assert.Equal("service.name", rm.GetProperty("resource").GetProperty("attributes")[0].GetProperty("key").GetString());
        var metrics = rm.GetProperty("scopeMetrics").EnumerateArray().SelectMany(s => s.GetProperty("metrics").EnumerateArray())
            .ToDictionary(m => m.GetProperty("name").GetString()!);
        JsonElement sum = metrics["app.requests"].GetProperty("sum");
        Assert.Equal(2, sum.GetProperty("aggregationTemporality").GetInt32());
        Assert.True(sum.GetProperty("isMonotonic").GetBoolean());
        Assert.Equal("5", sum.GetProperty("dataPoints")[0].GetProperty("asInt").GetString());
        JsonElement hp = metrics["app.latency"].GetProperty("histogram").GetProperty("dataPoints")[0];
        Assert.Equal("5", hp.GetProperty("count").GetString());
        Assert.Equal("3", hp.GetProperty("bucketCounts")[0].GetString());
        Assert.Equal(0.005, hp.GetProperty("explicitBounds")[0].GetDouble());
        JsonElement exemplar = metrics["http.server.request.duration"].GetProperty("histogram").GetProperty("dataPoints")[0].GetProperty("exemplars")[0];
        Assert.Equal(server.TraceId.ToHexString(), exemplar.GetProperty("traceId").GetString());
        Assert.Equal(server.SpanId.ToHexString(), exemplar.GetProperty("spanId").GetString());
        Assert.Equal(21.5, metrics["app.temperature"].GetProperty("gauge").GetProperty("dataPoints")[0].GetProperty("asDouble").GetDouble());
        Assert.False(metrics["app.temperature"].GetProperty("gauge").GetProperty("dataPoints")[0].TryGetProperty("startTimeUnixNano", out _));
    }

    [Theory]
    [InlineData(OtlpProtocol.HttpProtobuf, "application/x-protobuf")]
    [InlineData(OtlpProtocol.HttpJson, "application/json")]
    public void The_exporter_posts_to_v1_metrics_on_a_real_listener(OtlpProtocol protocol, string contentType)
    {
        using var collectorEndpoint = new LoopbackCollector();
        using var meter = new Meter("test.export." + Guid.NewGuid().ToString("N"));
        using var metrics = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });
        var exporter = new OtlpMetricsExporter(new OtlpMetricsExporterOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{collectorEndpoint.Port}/v1/metrics"),
            Protocol = protocol,
            Collector = metrics,
            Timeout = TimeSpan.FromSeconds(5),
            ServiceName = "folds-export-test",
            FlushOnProcessExit = false,
        }, startThread: false);
        Assert.True(exporter.ExportNow()); // nothing recorded: nothing sent
        Assert.Equal(0, collectorEndpoint.Requests);

        meter.CreateCounter<long>("app.jobs.done").Add(3);
        Assert.True(exporter.ExportNow());
        exporter.Dispose(); // sends a last request

        Assert.Equal(2, collectorEndpoint.Requests);
        ReceivedRequest first = collectorEndpoint.Received.First();
        Assert.Equal("/v1/metrics", first.Path);
        Assert.StartsWith(contentType, first.ContentType, StringComparison.Ordinal);
        Assert.Equal(2, exporter.Exports);
        Assert.Equal(0, exporter.Failures);
        string name;
        if (protocol == OtlpProtocol.HttpJson)
        {
            using JsonDocument doc = JsonDocument.Parse(first.Body);
            name = doc.RootElement.GetProperty("resourceMetrics")[0].GetProperty("scopeMetrics")[0].GetProperty("metrics")[0].GetProperty("name").GetString()!;
        }
        else
        {
            name = One(One(One(One(Parse(first.Body), 1).Message, 2).Message, 2).Message, 1).Text;
        }
        Assert.Equal("app.jobs.done", name);
    }

    [Fact]
    public void Environment_names_the_metrics_endpoint()
    {
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/");
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "base2_exponential_bucket_histogram");
        Environment.SetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL", "15000");
        try
        {
            OtlpMetricsExporterOptions options = OtlpMetricsExporterOptions.FromEnvironment();
            Assert.Equal("http://127.0.0.1:4318/v1/metrics", options.Endpoint!.ToString());
            Assert.Equal(OtlpHistogramAggregation.Base2Exponential, options.Histograms);
            Assert.Equal(TimeSpan.FromSeconds(15), options.Interval);
            Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://127.0.0.1:9999/custom");
            Assert.Equal("http://127.0.0.1:9999/custom", OtlpMetricsExporterOptions.FromEnvironment().Endpoint!.ToString());
        }
        finally
        {
            foreach (string v in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "OTEL_METRIC_EXPORT_INTERVAL" })
            {
                Environment.SetEnvironmentVariable(v, null);
            }
        }
    }
}
