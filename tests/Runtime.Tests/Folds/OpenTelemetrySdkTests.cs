using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OtelGen.Metrics;
using OtelGen.Spans;
using Xunit;
using static OtelGen.Runtime.Tests.Folds.SampleSpans;

namespace OtelGen.Runtime.Tests.Folds;

public class OpenTelemetrySdkTests
{
    private sealed class Capture : BaseExporter<Metric>
    {
        public readonly Dictionary<string, (string Unit, long Count, double Sum)> Histograms = new();

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (Metric metric in batch)
            {
                if (metric.MetricType != MetricType.Histogram)
                {
                    continue;
                }
                long count = 0;
                double sum = 0;
                foreach (ref readonly OpenTelemetry.Metrics.MetricPoint point in metric.GetMetricPoints())
                {
                    count += point.GetHistogramCount();
                    sum += point.GetHistogramSum();
                }
                Histograms[metric.Name] = (metric.Unit, count, sum);
            }
            return ExportResult.Success;
        }
    }

    [Fact]
    public void The_OpenTelemetry_SDK_sees_OtelGen_instruments_by_meter_name()
    {
        var capture = new Capture();
        using (MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(RuntimeMetrics.MeterName)
            .AddReader(new BaseExportingMetricReader(capture))
            .Build())
        {
            var server = Span(Trace1, 0x901, 0, "GET /a", 0, 30, ActivityKind.Server);
            server.SetAttribute("http.request.method", "GET");
            server.SetAttribute("http.route", "/a");
            var db = Span(Trace1, 0x902, 0x901, "SELECT a", 1, 5, ActivityKind.Client);
            db.SetAttribute("db.system.name", "postgresql");
            Tracing.OnEnd(server);
            Tracing.OnEnd(db);
            Assert.True(provider.ForceFlush());
        }
        Assert.Equal(("s", 1L), (capture.Histograms["http.server.request.duration"].Unit, capture.Histograms["http.server.request.duration"].Count));
        Assert.Equal(0.030, capture.Histograms["http.server.request.duration"].Sum, 12);
        Assert.Equal(0.004, capture.Histograms["db.client.operation.duration"].Sum, 12);
    }
}
