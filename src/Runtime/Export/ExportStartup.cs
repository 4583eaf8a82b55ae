using OtelGen.Spans;

namespace OtelGen.Export;

/// <summary>Starts the exporters that the environment asks for, when tracing first initializes.</summary>
internal static class ExportStartup
{
    // Set once the OpenTelemetry bridge (OtelGen.OpenTelemetry's AddOtelGen) has a TracerProvider: from then on the SDK's
    // exporters send OtelGen's spans, and OTEL_EXPORTER_OTLP_ENDPOINT, which the SDK reads too, must not make OtelGen send
    // the same spans a second time. Never cleared: a TracerProvider built later takes up where the last one stopped.
    private static volatile bool s_tracesHandedToSdk;

    /// <summary>True once <see cref="HandTracesToSdk"/> was called: the environment's OTLP endpoint starts no trace exporter.</summary>
    internal static bool TracesHandedToSdk => s_tracesHandedToSdk;

    /// <summary>
    /// Starts the OTLP exporter when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>
    /// is set (unless the spans were handed to the OpenTelemetry SDK), and the OTLP/JSON lines file exporter when
    /// <c>OTELGEN_EXPORT_FILE</c> is. Never throws.
    /// </summary>
    public static void StartFromEnvironment(SpanRing ring)
    {
        OtlpExporter.StartFromEnvironment(ring, endpoint: !s_tracesHandedToSdk);
        OtlpMetricsExporter.StartFromEnvironment(); // metrics: same endpoint, /v1/metrics
    }

    /// <summary>
    /// The OpenTelemetry bridge exports the spans from now on: the environment's OTLP/HTTP trace exporter is not started,
    /// or, if it already was, stops and hands its cursor over (returned, at the first span it had not sent: nothing is
    /// sent twice or skipped); null when there was none. Exporters started from code, the file exporter and metrics keep
    /// running. <paramref name="ring"/> is the span ring, made (and the environment read) by this call if nothing had yet.
    /// </summary>
    internal static SpanRingCursor? HandTracesToSdk(out SpanRing ring)
    {
        // The flag first, then the ring: the ring's first touch runs the sink's static constructor, which starts the
        // environment's exporters and so reads the flag; if another thread is running it now, touching the ring waits
        // for it to finish, so whatever it started is there to be stopped below.
        s_tracesHandedToSdk = true;
        ring = SpanSink.Ring;
        return OtlpExporter.StopFromEnvironment(ring);
    }
}
