using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using OtelGen.Metrics;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.Folds.SampleSpans;

namespace OtelGen.Runtime.Tests.Folds;

public class MetricsTests
{
    private static MetricsCollector CollectorFor(Meter meter) => new(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });

    private static SpanRecord ServerSpan(ulong id, double ms, long status, string route = "/posts/{id}")
    {
        var span = Span(new TraceId(0xabc, id), id, 0, "GET " + route, 0, ms, ActivityKind.Server, status >= 500 ? SpanStatusCode.Error : SpanStatusCode.Unset);
        span.SetAttribute("http.request.method", "GET");
        span.SetAttribute("http.route", route);
        span.SetAttribute("http.response.status_code", status);
        span.SetAttribute("url.scheme", "http");
        return span;
    }

    [Fact]
    public void Sums_gauges_and_histograms_are_aggregated_per_tag_set()
    {
        using var meter = new Meter("test.collector." + Guid.NewGuid().ToString("N"));
        using MetricsCollector collector = CollectorFor(meter);
        Counter<long> requests = meter.CreateCounter<long>("app.requests", "{request}", "Requests.");
        UpDownCounter<int> active = meter.CreateUpDownCounter<int>("app.active", "{request}");
        Histogram<double> latency = meter.CreateHistogram<double>("app.latency", "s");
        int observed = 41;
        meter.CreateObservableGauge("app.queue.depth", () => new Measurement<int>(++observed, new KeyValuePair<string, object?>("queue", "mail")));

        requests.Add(2, new("route", "/a"), new("method", "GET"));
        requests.Add(3, new("method", "GET"), new("route", "/a")); // same series in another order
        requests.Add(1, new KeyValuePair<string, object?>("route", "/b"));
        active.Add(5);
        active.Add(-2);
        foreach (double v in new[] { 0.004, 0.005, 0.02, 0.3, 20 })
        {
            latency.Record(v);
        }

        MetricsSnapshot snapshot = collector.Collect();

        MetricData counter = snapshot.Find("app.requests")!;
        Assert.Equal(MetricKind.Sum, counter.Kind);
        Assert.True(counter.IsMonotonic);
        Assert.True(counter.IsInteger);
        Assert.Equal("{request}", counter.Unit);
        Assert.Equal(2, counter.Points.Count);
        MetricDataPoint a = counter.Points.Single(p => p.Tags.Any(t => t.Value as string == "/a"));
        Assert.Equal(5, a.LongValue);
        Assert.Equal(new[] { "method", "route" }, a.Tags.Select(t => t.Key)); // sorted
        Assert.False(snapshot.Find("app.active")!.IsMonotonic);
        Assert.Equal(3, snapshot.Find("app.active")!.Points.Single().LongValue);
        MetricData gauge = snapshot.Find("app.queue.depth")!;
        Assert.Equal(MetricKind.Gauge, gauge.Kind);
        Assert.Equal(42, gauge.Points.Single().LongValue);

        HistogramData h = snapshot.Find("app.latency")!.Points.Single().Histogram!;
        Assert.Equal(MetricsCollectorOptions.SecondsBounds, h.Bounds);
        Assert.Equal(5, h.Count);
        Assert.Equal(20.329, h.Sum, 9);
        Assert.Equal(0.004, h.Min);
        Assert.Equal(20, h.Max);
        // Upper-inclusive: 0.004 and 0.005 both in (.., 0.005]; 20 above every bound.
        Assert.Equal(new long[] { 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, h.BucketCounts);
        Assert.Equal(5, h.Exponential.Count);
        Assert.Equal(43, collector.Collect().Find("app.queue.depth")!.Points.Single().LongValue); // observed again
    }

    [Fact]
    public void Series_beyond_the_limit_go_to_one_overflow_series()
    {
        using var meter = new Meter("test.overflow." + Guid.NewGuid().ToString("N"));
        using var collector = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter), MaxSeriesPerInstrument = 3 });
        Counter<long> c = meter.CreateCounter<long>("app.hits");
        for (int i = 0; i < 10; i++)
        {
            c.Add(1, new KeyValuePair<string, object?>("app.user", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        MetricData data = collector.Collect().Find("app.hits")!;
        Assert.Equal(4, data.Points.Count);
        Assert.Equal(7, data.Points.Single(p => p.Tags[0].Key == "otel.metric.overflow").LongValue);
        Assert.Equal(10, data.Points.Sum(p => p.LongValue));
    }

    [Fact]
    public void Span_ends_record_semconv_durations_in_seconds_with_the_span_as_exemplar()
    {
        using var collector = new MetricsCollector(MetricsCollectorOptions.OtelGenOnly());
        SpanRecord ok = ServerSpan(1, 12.5, 200);
        SpanRecord failed = ServerSpan(2, 250, 503);
        var db = Span(Trace1, 0x44, 0x1, "SELECT blog_post", 0, 3, ActivityKind.Client);
        db.SetAttribute("db.system.name", "postgresql");
        db.SetAttribute("db.operation.name", "SELECT");
        db.SetAttribute("db.collection.name", "blog_post");
        var internalSpan = Span(Trace1, 0x45, 0x1, "work", 0, 3);

        Tracing.OnEnd(ok);
        Tracing.OnEnd(failed);
        Tracing.OnEnd(db);
        Tracing.OnEnd(internalSpan);

        MetricsSnapshot snapshot = collector.Collect();
        MetricData http = snapshot.Find("http.server.request.duration")!;
        Assert.Equal("s", http.Unit);
        Assert.Equal(RuntimeMetrics.MeterName, http.MeterName);
        Assert.Equal(2, http.Points.Count);
        MetricDataPoint okPoint = http.Points.Single(p => p.Tags.Any(t => t.Key == "http.response.status_code" && Equals(t.Value, 200L)));
        Assert.Equal(new[] { "http.request.method", "http.response.status_code", "http.route", "url.scheme" }, okPoint.Tags.Select(t => t.Key));
        Assert.Equal(0.0125, okPoint.Histogram!.Sum, 12);
        Exemplar exemplar = Assert.Single(okPoint.Exemplars);
        Assert.Equal(ok.TraceId, exemplar.TraceId);
        Assert.Equal(ok.SpanId, exemplar.SpanId);
        Assert.Equal(0.0125, exemplar.Value, 12);
        MetricDataPoint failedPoint = http.Points.Single(p => p != okPoint);
        Assert.Contains(new KeyValuePair<string, object?>("error.type", "503"), failedPoint.Tags);

        MetricData dbMetric = snapshot.Find("db.client.operation.duration")!;
        MetricDataPoint dbPoint = dbMetric.Points.Single();
        Assert.Equal(new[] { "db.collection.name", "db.operation.name", "db.system.name" }, dbPoint.Tags.Select(t => t.Key));
        Assert.Equal(0.003, dbPoint.Histogram!.Sum, 12);
        Assert.Equal(db.SpanId, dbPoint.Exemplars.Single().SpanId);
    }

    [Fact]
    public void A_measurement_inside_an_OtelGen_span_carries_its_ids_and_one_outside_none()
    {
        using var meter = new Meter("test.exemplar." + Guid.NewGuid().ToString("N"));
        using MetricsCollector collector = CollectorFor(meter);
        Histogram<double> h = meter.CreateHistogram<double>("app.work.duration", "s");
        Counter<long> c = meter.CreateCounter<long>("app.work.items");
        var descriptor = new SpanDescriptor("Work", ActivityKind.Internal);
        (TraceId TraceId, SpanId SpanId) expected;
        using (SpanScope scope = SpanScope.Start(descriptor))
        {
            expected = (scope.Context.TraceId, scope.Context.SpanId);
            h.Record(0.2);
            c.Add(3);
        }
        h.Record(7); // no span: no exemplar in the 7.5 bucket

        MetricsSnapshot snapshot = collector.Collect();
        Exemplar e = Assert.Single(snapshot.Find("app.work.duration")!.Points.Single().Exemplars);
        Assert.Equal(expected.TraceId, e.TraceId);
        Assert.Equal(expected.SpanId, e.SpanId);
        Assert.Equal(0.2, e.Value);
        Exemplar counted = Assert.Single(snapshot.Find("app.work.items")!.Points.Single().Exemplars);
        Assert.Equal(expected.SpanId, counted.SpanId);
    }

    [Fact]
    public void Recording_an_existing_series_allocates_nothing()
    {
        using var meter = new Meter("test.alloc." + Guid.NewGuid().ToString("N"));
        using MetricsCollector collector = CollectorFor(meter);
        using var otelgen = new MetricsCollector(MetricsCollectorOptions.OtelGenOnly());
        Histogram<double> h = meter.CreateHistogram<double>("app.latency", "s");
        SpanRecord span = ServerSpan(9, 5, 200);
        var tag = new KeyValuePair<string, object?>("route", "/a");
        for (int i = 0; i < 100; i++)
        {
            h.Record(0.01 * i, tag);
            RuntimeMetrics.OnSpanEnd(span);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            h.Record(0.001 * i, tag);
        }
        long histogramBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, histogramBytes);

        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            RuntimeMetrics.OnSpanEnd(span);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1100, otelgen.Collect().Find("http.server.request.duration")!.Points.Single().Histogram!.Count);
    }
}
