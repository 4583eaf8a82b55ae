using OtelGen.Configuration;

namespace OtelGen.AspNetCore;

/// <summary>
/// Options for the ASP.NET Core glue. Each one can also come from an <c>OTELGEN_*</c> environment
/// variable; a value set in code wins over the environment.
/// </summary>
public sealed class OtelGenAspNetCoreOptions
{
    /// <summary>
    /// Serve the dashboard to clients that are not on this machine (default false:
    /// <c>OTELGEN_DASHBOARD_ALLOW_REMOTE</c>). The dashboard shows span names and attributes, so it
    /// answers 403 to non-loopback addresses unless this is set.
    /// </summary>
    public bool DashboardAllowRemote { get; set; } = EnvironmentSettings.GetBool("OTELGEN_DASHBOARD_ALLOW_REMOTE", false);

    /// <summary>
    /// Map <c>POST /test</c> for the W3C Trace Context test harness (default false:
    /// <c>OTELGEN_TRACECONTEXT_TEST</c>). It makes outgoing requests to URLs the caller names, so it is
    /// off unless asked for.
    /// </summary>
    public bool TraceContextTestEndpoint { get; set; } = EnvironmentSettings.GetBool("OTELGEN_TRACECONTEXT_TEST", false);

    /// <summary>Where the dashboard lives (default <c>/otel</c>; the stream is <c>{path}/stream</c>).</summary>
    public string DashboardPath { get; set; } = "/otel";

    /// <summary>Where the Prometheus page lives (default <c>/metrics</c>).</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>Add the propagating handler to every <c>IHttpClientFactory</c> client (default true).</summary>
    public bool PropagateHttpClients { get; set; } = true;

    /// <summary>The service name the dashboard shows (default <c>OTEL_SERVICE_NAME</c>, else the application name).</summary>
    public string? ServiceName { get; set; } = EnvironmentSettings.Get("OTEL_SERVICE_NAME");
}
