using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace OtelGen.Export;

/// <summary>
/// What an exporter has done, as counts of spans (of log records, for the OTLP log exporter) and requests. For a ring
/// only this exporter reads, <c>Exported + Dropped + Held + Pending + (Spooled - Unspooled)</c> equals the spans produced;
/// for the log exporter, <c>Exported + Dropped + Pending</c> equals the records logged to it.
/// </summary>
/// <remarks>
/// The span exporter's: <see cref="OtlpExporter.Statistics"/>. The log exporter's (package <c>OtelGen.Logging</c>):
/// <c>OtelGenLogExport.Statistics</c>, which uses <see cref="Exported"/>, <see cref="DroppedQueueFull"/>,
/// <see cref="DroppedRejected"/>, <see cref="DroppedFailed"/>, <see cref="Exports"/>, <see cref="Failures"/>,
/// <see cref="Retries"/> and <see cref="Pending"/> (the others stay 0).
/// </remarks>
public readonly record struct ExporterStatistics
{
    /// <summary>Spans the collector (or file) accepted, replayed ones included.</summary>
    public long Exported { get; init; }
    /// <summary>Spans overwritten in the ring before the exporter read them.</summary>
    public long DroppedOverwritten { get; init; }
    /// <summary>Spans dropped, oldest first, because more than the max queue size were waiting.</summary>
    public long DroppedQueueFull { get; init; }
    /// <summary>Spans in requests the collector refused (400, 413, other 4xx) or rejected in a partial success.</summary>
    public long DroppedRejected { get; init; }
    /// <summary>Spans whose export failed past the retry window with no spool to keep them (or a full spool).</summary>
    public long DroppedFailed { get; init; }
    /// <summary>Spans a stage (sampling) chose not to export.</summary>
    public long DroppedFiltered { get; init; }
    /// <summary>Spans written to the spool directory.</summary>
    public long Spooled { get; init; }
    /// <summary>Spans that left the spool: replayed, refused on replay, or evicted by the size cap (those are also in <see cref="DroppedFailed"/>).</summary>
    public long Unspooled { get; init; }
    /// <summary>Spans replayed from the spool (included in <see cref="Exported"/>).</summary>
    public long Replayed { get; init; }
    /// <summary>Spans a stage holds for later.</summary>
    public long Held { get; init; }
    /// <summary>Requests accepted.</summary>
    public long Exports { get; init; }
    /// <summary>Requests that ended without delivery (refused, or retry window over).</summary>
    public long Failures { get; init; }
    /// <summary>HTTP retries made.</summary>
    public long Retries { get; init; }
    /// <summary>Spans written to the ring and not yet read by the exporter.</summary>
    public long Pending { get; init; }

    /// <summary>All dropped spans.</summary>
    public long Dropped => DroppedOverwritten + DroppedQueueFull + DroppedRejected + DroppedFailed + DroppedFiltered;
}

/// <summary>
/// The exporters' own metrics on the <c>OtelGen</c> meter (System.Diagnostics.Metrics), read only when a
/// listener collects: <c>otelgen.exporter.spans.exported</c>, <c>otelgen.exporter.spans.dropped</c>
/// (tag <c>reason</c>), <c>otelgen.exporter.spans.spooled</c>, <c>otelgen.exporter.queue.size</c> for the span
/// exporters; <c>otelgen.exporter.log_records.exported</c>, <c>otelgen.exporter.log_records.dropped</c> (tag
/// <c>reason</c>), <c>otelgen.exporter.log_records.queue.size</c> for the log exporters; and for both, told apart by
/// the tag <c>otelgen.exporter.signal</c> (<c>traces</c>, <c>logs</c>), the requests: <c>otelgen.exporter.exports</c>,
/// <c>otelgen.exporter.failures</c>, <c>otelgen.exporter.retries</c>. Every measurement carries
/// <c>otelgen.exporter.target</c> (<c>http</c>, <c>grpc</c>, <c>file</c>). Log exporters that have stopped are
/// summed in <see cref="LogStatistics"/>, not measured.
/// </summary>
internal static class ExporterMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "OtelGen";

    private static readonly object s_gate = new();
    private static readonly List<OtlpExporter> s_exporters = new();
    private static readonly List<OtlpLogsExporter> s_logExporters = new();
    private static ExporterStatistics s_stoppedLogExporters;
    private static Meter? s_meter;

    internal static void Register(OtlpExporter exporter)
    {
        lock (s_gate)
        {
            s_exporters.Add(exporter);
            s_meter ??= CreateMeter();
        }
    }

    internal static void Unregister(OtlpExporter exporter)
    {
        lock (s_gate)
        {
            s_exporters.Remove(exporter);
        }
    }

    internal static void Register(OtlpLogsExporter exporter)
    {
        lock (s_gate)
        {
            s_logExporters.Add(exporter);
            s_meter ??= CreateMeter();
        }
    }

    /// <summary>Stops measuring a log exporter that has stopped; its final counts stay in <see cref="LogStatistics"/>.</summary>
    internal static void Unregister(OtlpLogsExporter exporter)
    {
        lock (s_gate)
        {
            if (s_logExporters.Remove(exporter))
            {
                s_stoppedLogExporters = Add(s_stoppedLogExporters, exporter.Statistics with { Pending = 0 });
            }
        }
    }

    /// <summary>What every OTLP log exporter of this process has done: the running ones' counts plus the stopped ones' final counts.</summary>
    internal static ExporterStatistics LogStatistics()
    {
        lock (s_gate)
        {
            ExporterStatistics total = s_stoppedLogExporters;
            foreach (OtlpLogsExporter exporter in s_logExporters)
            {
                total = Add(total, exporter.Statistics);
            }
            return total;
        }
    }

    private static ExporterStatistics Add(ExporterStatistics a, ExporterStatistics b) => new()
    {
        Exported = a.Exported + b.Exported,
        DroppedOverwritten = a.DroppedOverwritten + b.DroppedOverwritten,
        DroppedQueueFull = a.DroppedQueueFull + b.DroppedQueueFull,
        DroppedRejected = a.DroppedRejected + b.DroppedRejected,
        DroppedFailed = a.DroppedFailed + b.DroppedFailed,
        DroppedFiltered = a.DroppedFiltered + b.DroppedFiltered,
        Spooled = a.Spooled + b.Spooled,
        Unspooled = a.Unspooled + b.Unspooled,
        Replayed = a.Replayed + b.Replayed,
        Held = a.Held + b.Held,
        Exports = a.Exports + b.Exports,
        Failures = a.Failures + b.Failures,
        Retries = a.Retries + b.Retries,
        Pending = a.Pending + b.Pending,
    };

    private static Meter CreateMeter()
    {
        var meter = new Meter(MeterName, Otlp.OtlpResource.SdkVersion);
        meter.CreateObservableCounter("otelgen.exporter.spans.exported", () => Spans(s => s.Exported), "{span}", "Spans accepted by the collector or file.");
        meter.CreateObservableCounter("otelgen.exporter.spans.dropped", () => Dropped(spans: true), "{span}", "Spans lost, by reason: overwritten, queue_full, rejected, export_failed, filtered.");
        meter.CreateObservableCounter("otelgen.exporter.spans.spooled", () => Spans(s => s.Spooled), "{span}", "Spans written to the spool directory while the collector was down.");
        meter.CreateObservableCounter("otelgen.exporter.log_records.exported", () => LogRecords(s => s.Exported), "{log_record}", "Log records accepted by the collector.");
        meter.CreateObservableCounter("otelgen.exporter.log_records.dropped", () => Dropped(spans: false), "{log_record}", "Log records lost, by reason: queue_full, rejected, export_failed.");
        meter.CreateObservableCounter("otelgen.exporter.exports", () => Requests(s => s.Exports), "{request}", "Export requests accepted.");
        meter.CreateObservableCounter("otelgen.exporter.failures", () => Requests(s => s.Failures), "{request}", "Export requests not delivered.");
        meter.CreateObservableCounter("otelgen.exporter.retries", () => Requests(s => s.Retries), "{request}", "Export requests retried.");
        meter.CreateObservableUpDownCounter("otelgen.exporter.queue.size", () => Spans(s => s.Pending), "{span}", "Spans waiting for export.");
        meter.CreateObservableUpDownCounter("otelgen.exporter.log_records.queue.size", () => LogRecords(s => s.Pending), "{log_record}", "Log records waiting for export.");
        return meter;
    }

    private static KeyValuePair<string, object?> Target(string name) => new("otelgen.exporter.target", name);

    private static IEnumerable<Measurement<long>> Spans(System.Func<ExporterStatistics, long> pick)
    {
        var measurements = new List<Measurement<long>>();
        lock (s_gate)
        {
            foreach (OtlpExporter exporter in s_exporters)
            {
                measurements.Add(new Measurement<long>(pick(exporter.Statistics), Target(exporter.TargetName)));
            }
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> LogRecords(System.Func<ExporterStatistics, long> pick)
    {
        var measurements = new List<Measurement<long>>();
        lock (s_gate)
        {
            foreach (OtlpLogsExporter exporter in s_logExporters)
            {
                measurements.Add(new Measurement<long>(pick(exporter.Statistics), Target(exporter.TargetName)));
            }
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> Requests(System.Func<ExporterStatistics, long> pick)
    {
        var measurements = new List<Measurement<long>>();
        var traces = new KeyValuePair<string, object?>("otelgen.exporter.signal", "traces");
        var logs = new KeyValuePair<string, object?>("otelgen.exporter.signal", "logs");
        lock (s_gate)
        {
            foreach (OtlpExporter exporter in s_exporters)
            {
                measurements.Add(new Measurement<long>(pick(exporter.Statistics), Target(exporter.TargetName), traces));
            }
            foreach (OtlpLogsExporter exporter in s_logExporters)
            {
                measurements.Add(new Measurement<long>(pick(exporter.Statistics), Target(exporter.TargetName), logs));
            }
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> Dropped(bool spans)
    {
        var measurements = new List<Measurement<long>>();
        lock (s_gate)
        {
            if (spans)
            {
                foreach (OtlpExporter exporter in s_exporters)
                {
                    ExporterStatistics s = exporter.Statistics;
                    KeyValuePair<string, object?> target = Target(exporter.TargetName);
                    measurements.Add(new Measurement<long>(s.DroppedOverwritten, target, new("reason", "overwritten")));
                    measurements.Add(new Measurement<long>(s.DroppedQueueFull, target, new("reason", "queue_full")));
                    measurements.Add(new Measurement<long>(s.DroppedRejected, target, new("reason", "rejected")));
                    measurements.Add(new Measurement<long>(s.DroppedFailed, target, new("reason", "export_failed")));
                    measurements.Add(new Measurement<long>(s.DroppedFiltered, target, new("reason", "filtered")));
                }
            }
            else
            {
                foreach (OtlpLogsExporter exporter in s_logExporters)
                {
                    ExporterStatistics s = exporter.Statistics;
                    KeyValuePair<string, object?> target = Target(exporter.TargetName);
                    measurements.Add(new Measurement<long>(s.DroppedQueueFull, target, new("reason", "queue_full")));
                    measurements.Add(new Measurement<long>(s.DroppedRejected, target, new("reason", "rejected")));
                    measurements.Add(new Measurement<long>(s.DroppedFailed, target, new("reason", "export_failed")));
                }
            }
        }
        return measurements;
    }
}
