using System;
using System.Collections.Generic;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;
using OtelGen.Metrics;

namespace OtelGen.Export;

/// <summary>
/// Settings of an <see cref="OtlpMetricsExporter"/>: the shared OTLP settings of <see cref="OtlpOptions"/> plus the
/// export interval, histogram aggregation and meters. <see cref="FromEnvironment"/> reads the standard variables.
/// On process exit (<see cref="OtlpOptions.FlushOnProcessExit"/>) the exporter sends once more, bounded by
/// <see cref="OtlpOptions.Timeout"/>.
/// </summary>
public sealed class OtlpMetricsExporterOptions : OtlpOptions
{
    /// <summary>Time between exports (<c>OTEL_METRIC_EXPORT_INTERVAL</c>, default 60 s).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Explicit or exponential histograms.</summary>
    public OtlpHistogramAggregation Histograms { get; set; }
    /// <summary>
    /// Meters to export besides <c>OtelGen</c> (<c>OTELGEN_METRICS_METERS</c>, comma separated; <c>*</c> for every meter).
    /// </summary>
    public IList<string> Meters { get; set; } = new List<string>();
    /// <summary>Where to send instead of HTTP (a file, a test double).</summary>
    internal IOtlpSender? Sender { get; set; }
    /// <summary>Read this collector instead of making one from <see cref="Meters"/>.</summary>
    public MetricsCollector? Collector { get; set; }

    /// <summary>
    /// Reads <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> (as is) or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> + <c>/v1/metrics</c>,
    /// <c>OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL</c>, <c>_HEADERS</c>, <c>_COMPRESSION</c>, <c>_TIMEOUT</c>,
    /// <c>OTEL_METRIC_EXPORT_INTERVAL</c>, <c>OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION</c>,
    /// <c>OTELGEN_METRICS_METERS</c>. A malformed value gives one warning and its default.
    /// </summary>
    public static OtlpMetricsExporterOptions FromEnvironment()
    {
        var options = new OtlpMetricsExporterOptions();
        options.ReadSharedEnvironment("METRICS", "v1/metrics");
        options.Interval = TimeSpan.FromMilliseconds(Math.Max(100, EnvironmentSettings.GetNonNegativeDouble("OTEL_METRIC_EXPORT_INTERVAL", options.Interval.TotalMilliseconds)));
        string? aggregation = EnvironmentSettings.Get("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION");
        if (aggregation is not null)
        {
            if (aggregation.Equals("base2_exponential_bucket_histogram", StringComparison.OrdinalIgnoreCase))
            {
                options.Histograms = OtlpHistogramAggregation.Base2Exponential;
            }
            else if (!aggregation.Equals("explicit_bucket_histogram", StringComparison.OrdinalIgnoreCase))
            {
                EnvironmentSettings.Warn("OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", aggregation, "explicit_bucket_histogram or base2_exponential_bucket_histogram", "explicit_bucket_histogram");
            }
        }
        string? temporality = EnvironmentSettings.Get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
        if (temporality is not null && !temporality.Equals("cumulative", StringComparison.OrdinalIgnoreCase))
        {
            Diagnostics.Warn($"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE={temporality} is not supported by OtelGen; metrics are sent cumulative.");
        }
        foreach (string meter in MetricsCollectorOptions.MetersFromEnvironment())
        {
            options.Meters.Add(meter);
        }
        return options;
    }
}

/// <summary>
/// Sends metrics over OTLP/HTTP on a background thread every <see cref="OtlpMetricsExporterOptions.Interval"/>,
/// beside the span exporter and with the same resource and transport: a collect, the OTLP fold, a POST to
/// <c>/v1/metrics</c>. Cumulative temporality. Never throws into the application.
/// </summary>
public sealed class OtlpMetricsExporter : IDisposable
{
    private static OtlpMetricsExporter? s_fromEnvironment;

    private readonly OtlpMetricsExporterOptions _options;
    private readonly MetricsCollector _collector;
    private readonly bool _ownsCollector;
    private readonly IOtlpSender _sender;
    private readonly OtlpMetricsEncoder _encoder;
    private readonly PooledBuffer _buffer = new(4096);
    private readonly object _exportLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread? _thread;
    private long _exports;
    private long _failures;
    private int _disposed;

    /// <summary>Starts exporting (a background thread when <paramref name="startThread"/>).</summary>
    public OtlpMetricsExporter(OtlpMetricsExporterOptions options, bool startThread = true)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Sender is null && options.Endpoint is null)
        {
            throw new ArgumentException("Set Endpoint or Sender.", nameof(options));
        }
        _sender = options.Sender ?? options.CreateTransport(
            options.ResolvedEndpoint() ?? throw new ArgumentException("The endpoint does not suit the protocol.", nameof(options)),
            OtlpGrpcTransport.MetricsPath);
        _encoder = new OtlpMetricsEncoder(OtlpResource.Create(options.ServiceName, options.ResourceAttributes), options.Histograms);
        if (options.Collector is { } collector)
        {
            _collector = collector;
        }
        else
        {
            _collector = new MetricsCollector(MetricsCollectorOptions.ForMeters(options.Meters));
            _ownsCollector = true;
        }
        if (options.FlushOnProcessExit)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
        if (startThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "OtelGen OTLP metrics" };
            _thread.Start();
        }
    }

    /// <summary>Requests accepted by the collector.</summary>
    public long Exports => Interlocked.Read(ref _exports);

    /// <summary>Requests that failed (after retries) or were refused.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The collector this exporter reads.</summary>
    public MetricsCollector Collector => _collector;

    /// <summary>
    /// Starts the process-wide metrics exporter when the environment names a metrics endpoint
    /// (<c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) and
    /// <c>OTEL_METRICS_EXPORTER</c> is not <c>none</c>. Returns it, or null. Never throws.
    /// </summary>
    public static OtlpMetricsExporter? StartFromEnvironment()
    {
        try
        {
            string? kind = EnvironmentSettings.Get("OTEL_METRICS_EXPORTER");
            if (kind is not null && kind.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            if (Volatile.Read(ref s_fromEnvironment) is { } running)
            {
                return running;
            }
            OtlpMetricsExporterOptions options = OtlpMetricsExporterOptions.FromEnvironment();
            if (options.Endpoint is null)
            {
                return null;
            }
            var exporter = new OtlpMetricsExporter(options);
            if (Interlocked.CompareExchange(ref s_fromEnvironment, exporter, null) is { } other)
            {
                exporter.Dispose();
                return other;
            }
            return exporter;
        }
        catch (Exception e)
        {
            Diagnostics.Warn("could not start the OTLP metrics exporter: " + e.Message);
            return null;
        }
    }

    /// <summary>Collects and sends one request now; true when the collector accepted it. Never throws.</summary>
    public bool ExportNow()
    {
        lock (_exportLock)
        {
            try
            {
                MetricsSnapshot snapshot = _collector.Collect();
                if (!HasPoints(snapshot))
                {
                    return true; // nothing recorded yet: no empty request
                }
                _buffer.Clear();
                _encoder.Encode(snapshot, _buffer, _sender.Protocol);
                ExportResult result = _sender.Send(_buffer.WrittenMemory, DateTime.UtcNow + _options.Timeout, _stop.Token);
                if (result.Outcome is ExportOutcome.Success or ExportOutcome.PartialSuccess)
                {
                    Interlocked.Increment(ref _exports);
                    return true;
                }
                Interlocked.Increment(ref _failures);
                return false;
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failures);
                Diagnostics.Warn("OTLP metrics export failed: " + e.GetType().Name + ": " + e.Message);
                return false;
            }
        }
    }

    /// <summary>Stops the thread, sends a last request (bounded by the timeout) and releases the transport.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _stop.Cancel();
        _thread?.Join(_options.Timeout + TimeSpan.FromSeconds(1));
        ExportFinal();
        lock (_exportLock)
        {
            _sender.Dispose();
            _buffer.Dispose();
            if (_ownsCollector)
            {
                _collector.Dispose();
            }
        }
        Interlocked.CompareExchange(ref s_fromEnvironment, null, this);
    }

    private void ExportFinal()
    {
        // The stop token is cancelled: send once without it, bounded by the timeout.
        lock (_exportLock)
        {
            try
            {
                MetricsSnapshot snapshot = _collector.Collect();
                if (!HasPoints(snapshot))
                {
                    return;
                }
                _buffer.Clear();
                _encoder.Encode(snapshot, _buffer, _sender.Protocol);
                ExportResult result = _sender.Send(_buffer.WrittenMemory, DateTime.UtcNow + _options.Timeout, default, retry: false);
                Interlocked.Increment(ref result.Outcome is ExportOutcome.Success or ExportOutcome.PartialSuccess ? ref _exports : ref _failures);
            }
            catch (Exception e)
            {
                Diagnostics.Warn("final OTLP metrics export failed: " + e.Message);
            }
        }
    }

    private static bool HasPoints(MetricsSnapshot snapshot)
    {
        foreach (MetricData metric in snapshot.Metrics)
        {
            if (metric.Points.Count > 0)
            {
                return true;
            }
        }
        return false;
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private void Run()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.WaitHandle.WaitOne(_options.Interval))
        {
            ExportNow();
        }
    }
}
