using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using OtelGen.Metrics;
using Xunit;

namespace OtelGen.Runtime.Tests.Folds;

public class AppMetricsTests
{
    [Fact]
    public void An_application_meter_named_in_OTELGEN_METRICS_METERS_appears_on_the_Prometheus_page()
    {
        string name = "shop" + Guid.NewGuid().ToString("N").Substring(0, 8);
        using var listed = new Meter(name);
        using var unlisted = new Meter(name + "other");
        Environment.SetEnvironmentVariable("OTELGEN_METRICS_METERS", "Unrelated, " + name);
        try
        {
            using var collector = new MetricsCollector(MetricsCollectorOptions.FromEnvironment());
            listed.CreateCounter<long>(name + ".orders", unit: "{order}").Add(2, new KeyValuePair<string, object?>(name + ".order.kind", "express"));
            unlisted.CreateCounter<long>(name + ".hidden").Add(1);
            string page = PrometheusText.Write(collector.Collect());
            Assert.Contains($"{name}_orders_total{{{name}_order_kind=\"express\"}} 2", page);
            Assert.DoesNotContain(name + "_hidden", page);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTELGEN_METRICS_METERS", null);
        }
    }
}
