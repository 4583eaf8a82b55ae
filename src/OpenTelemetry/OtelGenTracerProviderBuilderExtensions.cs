using System;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.Activities;

namespace OtelGen.OpenTelemetry;

/// <summary>
/// Hands OtelGen's spans to the OpenTelemetry .NET SDK, for its processors and exporters (OTLP, Azure Monitor, Zipkin,
/// console):
/// <code>
/// builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
///     .AddAspNetCoreInstrumentation()
///     .AddHttpClientInstrumentation()
///     .AddOtelGen()
///     .AddOtlpExporter());
/// </code>
/// </summary>
public static class OtelGenTracerProviderBuilderExtensions
{
    /// <summary>
    /// Adds OtelGen's spans to this TracerProvider. When the provider is built, a background thread starts reading
    /// OtelGen's span ring and re-creates each finished span as an Activity of the <c>OtelGen</c> source, with OtelGen's
    /// trace id, span id and parent span id, name, kind, attributes, events, links, status and times; the SDK's sampler,
    /// processors and exporters then treat it as any other Activity. Nothing is converted on the threads that record
    /// spans. <c>ForceFlush</c>, <c>Shutdown</c> and <c>Dispose</c> hand over every span recorded before them first.
    /// From then on OtelGen no longer exports spans to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> itself (the SDK does).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TracerProviderBuilder AddOtelGen(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSource(ActivityRecorder.BridgeSource);
        // An SDK exporter that sends with HttpClient suppresses instrumentation around its requests: OtelGen must not
        // record them (System.Net.Http named) or stand in for them, or each batch would start a trace of its own.
        ActivityRecorder.IsSuppressed = static () => Sdk.SuppressInstrumentation;
        // ForceFlush: hands everything recorded so far to the SDK before the exporters flush (see the processor).
        builder.AddProcessor(_ => new BridgeFlushProcessor());
        // Made as the provider is built (that starts the bridge), and disposed before the provider's processors shut
        // down (the SDK disposes instrumentations first): Dispose and Shutdown hand everything over while every exporter
        // still takes spans, wherever AddOtelGen() stands among the exporters.
        builder.AddInstrumentation((_, _) => new BridgeLease());
        return builder;
    }
}
