using System;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelGen.AspNetCore.Dashboard;
using OtelGen.AspNetCore.Server;
using OtelGen.Logging;

namespace OtelGen.AspNetCore;

/// <summary>
/// One call wires OtelGen into an ASP.NET Core app:
/// <code>
/// builder.Services.AddOtelGen();      // SERVER span per request, HttpClient propagation, log correlation, dashboard feed
/// app.MapOtelGenDashboard();          // GET /otel, /otel/stream, /otel/api/traces/{id}, /metrics
/// </code>
/// </summary>
public static class OtelGenServiceCollectionExtensions
{
    /// <summary>
    /// Makes every request a SERVER span (the middleware goes first in the pipeline, so it sees the
    /// whole request), adds the propagating handler to every <c>IHttpClientFactory</c> client, makes log
    /// scopes carry OtelGen's span ids instead of the host's request Activity's (<c>OtelGen.Logging</c>'s
    /// scope provider, under the host's <c>ActivityTrackingOptions</c>), and starts the feed the dashboard
    /// reads (per-route numbers counted live as requests end, and the last log lines written inside traces).
    /// </summary>
    public static IServiceCollection AddOtelGen(this IServiceCollection services, Action<OtelGenAspNetCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<OtelGenAspNetCoreOptions> options = services.AddOptions<OtelGenAspNetCoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        // SpanId/TraceId/ParentId in log scopes (the host's ActivityTrackingOptions, as the app leaves or sets them) name OtelGen's spans.
        OtelGenLoggingBuilderExtensions.AddScopeProvider(services);
        // OTEL_LOGS_EXPORTER=otlp: the log records themselves over OTLP, as builder.Logging.AddOtelGen() does.
        if (OtelGen.Export.OtlpLogsExporterOptions.EnabledByEnvironment())
        {
            OtelGenLoggingBuilderExtensions.AddLogExport(services);
        }
        services.TryAddSingleton(_ => new TraceFeed(Tracing.Ring));
        // The dashboard's log lines: what is logged inside a trace, at the levels the app's filters let through
        // (Information at least; "Logging:OtelGenDashboard:LogLevel" sets this provider's own), the last TraceLogStore.Capacity in memory.
        services.TryAddSingleton<TraceLogStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, TraceLogStore>(static sp => sp.GetRequiredService<TraceLogStore>()));
        services.TryAddSingleton<DashboardMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, ServerSpanStartupFilter>());
        services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(sp =>
            sp.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value.PropagateHttpClients
                ? new PropagatingHttpHandler()
                : new PassThroughHandler()));
        return services;
    }

    /// <summary>
    /// Only the HttpClient part: every <c>IHttpClientFactory</c> client records CLIENT spans and sends
    /// <c>traceparent</c>/<c>tracestate</c>/<c>baggage</c>. (<see cref="AddOtelGen"/> already does this.)
    /// </summary>
    public static IServiceCollection AddOtelGenHttpClientPropagation(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(() => new PropagatingHttpHandler()));
        return services;
    }

    private sealed class PassThroughHandler : System.Net.Http.DelegatingHandler
    {
    }

    private sealed class ServerSpanStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            OtelGenAspNetCoreOptions options = app.ApplicationServices.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value;
            // The per-route numbers count from the first request; the dashboard's feed is made when first asked for.
            OtelGen.Folds.LiveRouteAggregates.Start();
            app.UseMiddleware<ServerSpanMiddleware>(new PathString(options.DashboardPath), new PathString(options.MetricsPath));
            next(app);
        };
    }
}

/// <summary>Maps the dashboard, its event stream, the Prometheus page and the opt-in Trace Context test endpoint.</summary>
public static class OtelGenEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /otel</c> (the live dashboard), <c>GET /otel/stream</c> (Server-Sent Events),
    /// <c>GET /otel/trace/{traceId}</c> (one trace's waterfall), <c>GET /otel/api/traces/{traceId}</c> (one trace's
    /// spans with their attributes, events and links, as JSON) and <c>GET /metrics</c> (Prometheus text).
    /// The dashboard answers loopback clients only unless <see cref="OtelGenAspNetCoreOptions.DashboardAllowRemote"/> is set.
    /// </summary>
    public static Microsoft.AspNetCore.Routing.IEndpointRouteBuilder MapOtelGenDashboard(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        OtelGenAspNetCoreOptions options = endpoints.ServiceProvider.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value;
        string path = options.DashboardPath.TrimEnd('/');
        endpoints.MapGet(path, DashboardEndpoints.PageAsync);
        endpoints.MapGet(path + "/stream", DashboardEndpoints.StreamAsync);
        // Request delegates, not lambdas with parameters to bind: no request-delegate generation at run time (NativeAOT).
        endpoints.MapGet(path + "/trace/{traceId}", context => DashboardEndpoints.TraceAsync(context, context.Request.RouteValues["traceId"] as string ?? ""));
        endpoints.MapGet(path + "/api/traces/{traceId}", context => DashboardEndpoints.TraceJsonAsync(context, context.Request.RouteValues["traceId"] as string ?? ""));
        endpoints.MapGet(options.MetricsPath, DashboardEndpoints.MetricsAsync);
        return endpoints;
    }

    /// <summary>
    /// Maps <c>POST /test</c> for the W3C Trace Context test harness, only when
    /// <see cref="OtelGenAspNetCoreOptions.TraceContextTestEndpoint"/> (or <c>OTELGEN_TRACECONTEXT_TEST=true</c>) is on:
    /// it posts to URLs its caller names, so it is never on by default.
    /// </summary>
    public static Microsoft.AspNetCore.Routing.IEndpointRouteBuilder MapTraceContextTestEndpoint(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        OtelGenAspNetCoreOptions options = endpoints.ServiceProvider.GetRequiredService<IOptions<OtelGenAspNetCoreOptions>>().Value;
        if (options.TraceContextTestEndpoint)
        {
            endpoints.MapPost("/test", Conformance.TraceContextTestEndpoint.HandleAsync);
        }
        return endpoints;
    }
}
