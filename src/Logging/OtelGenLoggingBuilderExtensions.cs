using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace OtelGen.Logging;

/// <summary>
/// Log correlation in one line: every log line written inside an OtelGen span carries that span's ids.
/// <code>
/// using var logs = LoggerFactory.Create(logging => logging
///     .AddOtelGen()
///     .AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; }));
/// // info: Orders[0] => SpanId:5fc7d38d9eb1c3ec, TraceId:02808e18e08731c9394c126d6333f3a2, ParentId:d2cda784eb36e5f3 order placed
/// </code>
/// ASP.NET Core apps get it from <c>builder.Services.AddOtelGen()</c> (package <c>OtelGen.AspNetCore</c>).
/// </summary>
public static class OtelGenLoggingBuilderExtensions
{
    /// <summary>The trace fields .NET hosts turn on (Host.CreateApplicationBuilder, WebApplication.CreateBuilder).</summary>
    private const ActivityTrackingOptions HostDefault =
        ActivityTrackingOptions.SpanId | ActivityTrackingOptions.TraceId | ActivityTrackingOptions.ParentId;

    /// <summary>
    /// Makes the logger factory's scopes start with the current span's ids, taken from OtelGen: its innermost
    /// span, or a library <c>Activity</c> started inside it. The fields are the ones
    /// <see cref="LoggerFactoryOptions.ActivityTrackingOptions"/> selects, with .NET's keys and text
    /// (<c>SpanId</c>, <c>TraceId</c>, <c>ParentId</c>, <c>TraceState</c>, <c>TraceFlags</c>, tags, baggage);
    /// the scopes pushed with <c>BeginScope</c> follow. Every provider that shows scopes shows them (console with
    /// <c>IncludeScopes</c>, the JSON console, OpenTelemetry's logger).
    /// </summary>
    /// <remarks>
    /// When <see cref="LoggerFactoryOptions.ActivityTrackingOptions"/> is still <see cref="ActivityTrackingOptions.None"/>
    /// here (the default of a plain <c>LoggerFactory.Create</c>), this sets what .NET hosts set: <c>SpanId</c>,
    /// <c>TraceId</c> and <c>ParentId</c>. A value configured after this call wins, <see cref="ActivityTrackingOptions.None"/>
    /// included (then only the <c>BeginScope</c> scopes are shown). Calling it twice adds nothing.
    /// </remarks>
    public static ILoggingBuilder AddOtelGen(this ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (OtelGen.Export.OtlpLogsExporterOptions.EnabledByEnvironment())
        {
            AddLogExport(builder.Services);
        }
        return AddCorrelation(builder);
    }

    /// <summary>
    /// What <see cref="AddOtelGen(ILoggingBuilder)"/> does, and with <see cref="OtelGenLoggingOptions.ExportLogs"/> (true
    /// when <c>OTEL_LOGS_EXPORTER=otlp</c>) a logger provider that exports every log record over OTLP to <c>/v1/logs</c>
    /// (protobuf, JSON or gRPC, from the <c>OTEL_EXPORTER_OTLP_LOGS_*</c> or <c>OTEL_EXPORTER_OTLP_*</c> settings;
    /// default <c>http://localhost:4318</c>) with the trace id, span id and flags of OtelGen's current span.
    /// Records wait in a bounded queue (<c>OTEL_BLRP_MAX_QUEUE_SIZE</c>, default 2048; more are dropped and counted)
    /// and are sent from a background thread; disposing the logger factory, or the process exiting, sends what waits.
    /// </summary>
    public static ILoggingBuilder AddOtelGen(this ILoggingBuilder builder, Action<OtelGenLoggingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OtelGenLoggingOptions { ExportLogs = OtelGen.Export.OtlpLogsExporterOptions.EnabledByEnvironment() };
        configure(options);
        if (options.ExportLogs)
        {
            AddLogExport(builder.Services);
        }
        return AddCorrelation(builder);
    }

    /// <summary>Registers the OTLP logger provider once (it makes its exporter from the environment when first asked for).</summary>
    internal static void AddLogExport(IServiceCollection services) =>
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, OtelGenLoggerProvider>(static _ => OtelGenLoggerProvider.FromEnvironment()));

    private static ILoggingBuilder AddCorrelation(ILoggingBuilder builder)
    {
        if (!AddScopeProvider(builder.Services))
        {
            return builder;
        }
        builder.Configure(static options =>
        {
            if (options.ActivityTrackingOptions == ActivityTrackingOptions.None)
            {
                options.ActivityTrackingOptions = HostDefault;
            }
        });
        return builder;
    }

    /// <summary>
    /// Registers the scope provider alone, leaving ActivityTrackingOptions as configured: for OtelGen.AspNetCore,
    /// whose host has set them already (so a <c>None</c> the app sets is kept wherever it sets it). False when
    /// already registered.
    /// </summary>
    internal static bool AddScopeProvider(IServiceCollection services)
    {
        for (int i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(Registered))
            {
                return false;
            }
        }
        services.AddSingleton<Registered>();
        // LoggerFactory takes the scope provider from the container instead of making its own from the options.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExternalScopeProvider, OtelGenScopeProvider>());
        return true;
    }

    /// <summary>Marks a service collection that <see cref="AddOtelGen(ILoggingBuilder)"/> has already set up.</summary>
    private sealed class Registered
    {
    }
}
