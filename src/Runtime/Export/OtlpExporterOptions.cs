using System;
using System.Collections.Generic;
using System.Globalization;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

namespace OtelGen.Export;

/// <summary>
/// Settings of an <see cref="OtlpExporter"/> (traces): the shared OTLP settings of <see cref="OtlpOptions"/> plus
/// batching, the queue, retries, the spool, file export and the flush on process exit. <see cref="FromEnvironment"/>
/// reads the standard OpenTelemetry variables; anything set in code afterwards overrides them.
/// </summary>
public sealed class OtlpExporterOptions : OtlpOptions
{
    /// <summary>Delay between two scheduled exports (<c>OTEL_BSP_SCHEDULE_DELAY</c>, default 5 s); a full batch goes at once.</summary>
    public TimeSpan ScheduleDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many spans per request (<c>OTEL_BSP_MAX_EXPORT_BATCH_SIZE</c>, default 512).</summary>
    public int MaxExportBatchSize { get; set; } = 512;

    /// <summary>
    /// At most this many spans wait for export (<c>OTEL_BSP_MAX_QUEUE_SIZE</c>); beyond it the oldest are
    /// dropped and counted. 0 (the default when the variable is unset): the ring is the queue, bounded by
    /// what the ring holds (it grows up to its maximum capacity, <c>OTELGEN_RING_CAPACITY</c>, while the
    /// exporter lags); the ring bounds any larger value too. A running exporter's
    /// <see cref="OtlpExporter.Options"/> shows the bound in effect (the ring's maximum capacity when unset).
    /// </summary>
    public int MaxQueueSize { get; set; }

    /// <summary>Upper bound for one export, retries included (<c>OTEL_BSP_EXPORT_TIMEOUT</c>, default 30 s); the smaller of this and <see cref="OtlpOptions.Timeout"/> applies.</summary>
    public TimeSpan ExportTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Backoff timing for retries.</summary>
    public RetryPolicy Retry { get; set; } = new();

    /// <summary>
    /// A directory where batches go when the collector stays down past the retry window, replayed when
    /// it returns (<c>OTELGEN_EXPORT_SPOOL_DIR</c>); null: such batches are dropped and counted.
    /// </summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>The spool's size cap in bytes (<c>OTELGEN_EXPORT_SPOOL_MAX_BYTES</c>, default 64 MiB); the oldest batches go first.</summary>
    public long SpoolMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Write OTLP/JSON lines to this file instead of (or, from the environment, besides) HTTP (<c>OTELGEN_EXPORT_FILE</c>).</summary>
    public string? FilePath { get; set; }

    /// <summary>A stage between draining and encoding (sampling); null: everything drained is exported.</summary>
    public ISpanExportStage? Stage { get; set; }

    /// <summary>
    /// The most the flush on process exit (<see cref="OtlpOptions.FlushOnProcessExit"/>) may take in all (default 30 s,
    /// the usual container stop grace period); at least one <see cref="BatchDeadline"/>. Each batch is bounded by
    /// <see cref="BatchDeadline"/>; the flush goes on while batches succeed and stops at the first batch that fails.
    /// </summary>
    public TimeSpan ExitFlushLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The deadline for one batch: the smaller of <see cref="OtlpOptions.Timeout"/> and <see cref="ExportTimeout"/>.</summary>
    public TimeSpan BatchDeadline => Timeout < ExportTimeout ? Timeout : ExportTimeout;

    /// <summary>A copy (so that a running exporter's settings cannot change under it).</summary>
    public OtlpExporterOptions Clone()
    {
        var copy = new OtlpExporterOptions
        {
            ScheduleDelay = ScheduleDelay,
            MaxExportBatchSize = MaxExportBatchSize,
            MaxQueueSize = MaxQueueSize,
            ExportTimeout = ExportTimeout,
            Retry = Retry,
            SpoolDirectory = SpoolDirectory,
            SpoolMaxBytes = SpoolMaxBytes,
            FilePath = FilePath,
            Stage = Stage,
            ExitFlushLimit = ExitFlushLimit,
        };
        CopySharedTo(copy);
        return copy;
    }

    /// <summary>
    /// Reads <c>OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT</c> (the generic one gets <c>/v1/traces</c> appended),
    /// <c>_PROTOCOL</c>, <c>_HEADERS</c>, <c>_COMPRESSION</c>, <c>_TIMEOUT</c>, <c>OTEL_BSP_*</c>,
    /// <c>OTELGEN_EXPORT_SPOOL_DIR</c>, <c>OTELGEN_EXPORT_SPOOL_MAX_BYTES</c>, <c>OTELGEN_EXPORT_FILE</c>.
    /// A malformed value gives one warning and its default; never throws.
    /// </summary>
    public static OtlpExporterOptions FromEnvironment()
    {
        var options = new OtlpExporterOptions();
        options.ReadSharedEnvironment("TRACES", "v1/traces");
        options.ScheduleDelay = Milliseconds("OTEL_BSP_SCHEDULE_DELAY", options.ScheduleDelay);
        options.ExportTimeout = Milliseconds("OTEL_BSP_EXPORT_TIMEOUT", options.ExportTimeout);
        options.MaxExportBatchSize = EnvironmentSettings.GetPositiveInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", options.MaxExportBatchSize);
        options.MaxQueueSize = QueueSize();
        if (options.MaxQueueSize > 0 && options.MaxExportBatchSize > options.MaxQueueSize)
        {
            Diagnostics.Warn($"OTEL_BSP_MAX_EXPORT_BATCH_SIZE={options.MaxExportBatchSize} is larger than OTEL_BSP_MAX_QUEUE_SIZE={options.MaxQueueSize}; using {options.MaxQueueSize}.");
            options.MaxExportBatchSize = options.MaxQueueSize;
        }
        options.SpoolDirectory = EnvironmentSettings.Get("OTELGEN_EXPORT_SPOOL_DIR");
        string? spoolMax = EnvironmentSettings.Get("OTELGEN_EXPORT_SPOOL_MAX_BYTES");
        if (spoolMax is not null)
        {
            if (long.TryParse(spoolMax, NumberStyles.Integer, CultureInfo.InvariantCulture, out long max) && max > 0)
            {
                options.SpoolMaxBytes = max;
            }
            else
            {
                EnvironmentSettings.Warn("OTELGEN_EXPORT_SPOOL_MAX_BYTES", spoolMax, "a positive number of bytes", options.SpoolMaxBytes.ToString(CultureInfo.InvariantCulture));
            }
        }
        options.FilePath = EnvironmentSettings.Get("OTELGEN_EXPORT_FILE");
        return options;
    }

    /// <summary>
    /// The traces URL from the environment: <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> as is, else
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> + <c>/v1/traces</c>; null (with one warning) when unset or not an http(s) URL.
    /// </summary>
    public static Uri? TracesEndpoint() => OtlpSignalSettings.Endpoint("TRACES", "v1/traces", grpc: false, out _);

    /// <summary>
    /// Parses an endpoint variable; <paramref name="signalPath"/> (e.g. <c>v1/metrics</c>) is appended to a
    /// generic endpoint's path. Null with one warning when it is not an absolute http or https URL.
    /// </summary>
    public static Uri? ParseEndpoint(string variable, string value, string? signalPath) => ParseEndpoint(variable, value, signalPath, value);

    /// <summary>As <see cref="ParseEndpoint(string, string, string?)"/>; a warning shows <paramref name="shown"/> (the value as it was given).</summary>
    internal static Uri? ParseEndpoint(string variable, string value, string? signalPath, string shown)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
        {
            Diagnostics.Warn($"{variable}='{Redact(shown)}' is not an absolute http:// or https:// URL; OTLP export of this signal is off.");
            return null;
        }
        if (signalPath is null)
        {
            return uri;
        }
        var builder = new UriBuilder(uri);
        builder.Path = builder.Path.TrimEnd('/') + "/" + signalPath;
        return builder.Uri;
    }

    private static string Redact(string value)
    {
        int at = value.IndexOf('@');
        int scheme = value.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? value.Substring(0, scheme + 3) + "***" + value.Substring(at) : value;
    }

    /// <summary>OTEL_BSP_MAX_QUEUE_SIZE exactly when set; 0 (the ring is the queue) when unset or malformed.</summary>
    private static int QueueSize()
    {
        const string name = "OTEL_BSP_MAX_QUEUE_SIZE";
        string? value = EnvironmentSettings.Get(name);
        if (value is null)
        {
            return 0;
        }
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) && size > 0)
        {
            return size;
        }
        EnvironmentSettings.Warn(name, value, "a positive integer", "the ring (up to OTELGEN_RING_CAPACITY)");
        return 0;
    }

    private static TimeSpan Milliseconds(string name, TimeSpan fallback) =>
        TimeSpan.FromMilliseconds(EnvironmentSettings.GetNonNegativeDouble(name, fallback.TotalMilliseconds));
}
