using System;
using OtelGen.Folds;

namespace OtelGen.AspNetCore.Dashboard;

/// <summary>
/// The collector behind <c>/metrics</c>: OtelGen's own meter only (ASP.NET Core publishes an instrument
/// of the same name, <c>http.server.request.duration</c>, which would clash on one page). Made when the
/// app starts, so it sees every measurement from the first request on.
/// </summary>
internal sealed class DashboardMetrics : IDisposable
{
    public MetricsCollector Collector { get; } = new(MetricsCollectorOptions.OtelGenOnly());

    public void Dispose() => Collector.Dispose();
}
