using OtelGen.Export;

namespace OtelGen.Logging;

/// <summary>
/// OtelGen's OTLP log export in this process: the logger providers that <c>AddOtelGen</c> registers when
/// <see cref="OtelGenLoggingOptions.ExportLogs"/> is on (or <c>OTEL_LOGS_EXPORTER=otlp</c>).
/// </summary>
public static class OtelGenLogExport
{
    /// <summary>
    /// What the OTLP log exporters of this process have done so far, in log records and requests: the counts of every
    /// exporting logger provider, the disposed ones' final counts included, so that the counts never go down.
    /// <see cref="ExporterStatistics.Exported"/> records the collector accepted; <see cref="ExporterStatistics.DroppedQueueFull"/>
    /// records dropped because <c>OTEL_BLRP_MAX_QUEUE_SIZE</c> records were waiting; <see cref="ExporterStatistics.DroppedRejected"/>
    /// records in requests the collector refused (400, 413, other 4xx) or rejected in a partial success;
    /// <see cref="ExporterStatistics.DroppedFailed"/> records whose request failed past its retries and deadline, or that were
    /// still waiting when their exporter stopped; <see cref="ExporterStatistics.Exports"/>, <see cref="ExporterStatistics.Failures"/>
    /// and <see cref="ExporterStatistics.Retries"/> count requests; <see cref="ExporterStatistics.Pending"/> is what waits in the
    /// running exporters. The span-only counts stay 0. Read at any time from any thread; the same counts are published on the
    /// <c>OtelGen</c> meter (<c>otelgen.exporter.log_records.*</c>, and the requests with <c>otelgen.exporter.signal=logs</c>).
    /// </summary>
    public static ExporterStatistics Statistics => ExporterMetrics.LogStatistics();
}
