using System;
using OtelGen.Folds;
using OtelGen.Metrics;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// The collector behind <c>/metrics</c>: OtelGen's own meter plus the application meters named in
/// <c>OTELGEN_METRICS_METERS</c> (not every meter by default: ASP.NET Core publishes an instrument of the
/// same name, <c>http.server.request.duration</c>, which would clash on one page). Made on the first
/// scrape: until something scrapes, no listener is attached and recording a measurement is free.
/// </summary>
internal sealed class DashboardMetrics : IDisposable
{
    private readonly Lazy<MetricsCollector> _collector = new(() => new MetricsCollector(MetricsCollectorOptions.FromEnvironment()));

    public MetricsCollector Collector => _collector.Value;

    /// <summary>True until the collector exists: the next scrape is the first, and starts the counting.</summary>
    public bool NotStarted => !_collector.IsValueCreated;

    public void Dispose()
    {
        if (_collector.IsValueCreated)
        {
            _collector.Value.Dispose();
        }
    }
}
