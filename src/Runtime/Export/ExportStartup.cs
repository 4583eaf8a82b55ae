using OtelGen.Spans;

namespace OtelGen.Export;

/// <summary>Starts the exporters that the environment asks for, when tracing first initializes.</summary>
internal static class ExportStartup
{
    /// <summary>
    /// Starts the OTLP exporter when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>
    /// is set, and the OTLP/JSON lines file exporter when <c>OTELGEN_EXPORT_FILE</c> is. Never throws.
    /// </summary>
    public static void StartFromEnvironment(SpanRing ring)
    {
        OtlpExporter.StartFromEnvironment(ring);
        OtlpMetricsExporter.StartFromEnvironment(); // metrics: same endpoint, /v1/metrics
    }
}
