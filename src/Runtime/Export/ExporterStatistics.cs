using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace OtelGen.Export;

/// <summary>
/// What an exporter has done, as counts of spans and requests. For a ring only this exporter reads,
/// <c>Exported + Dropped + Held + Pending + (Spooled - Unspooled)</c> equals the spans produced.
/// </summary>
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
/// (tag <c>reason</c>), <c>otelgen.exporter.spans.spooled</c>, <c>otelgen.exporter.exports</c>,
/// <c>otelgen.exporter.failures</c>, <c>otelgen.exporter.retries</c>, <c>otelgen.exporter.queue.size</c>.
/// </summary>
internal static class ExporterMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "OtelGen";

    private static readonly object s_gate = new();
    private static readonly List<OtlpExporter> s_exporters = new();
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

    private static Meter CreateMeter()
    {
        var meter = new Meter(MeterName, Otlp.OtlpResource.SdkVersion);
        meter.CreateObservableCounter("otelgen.exporter.spans.exported", () => Each(s => s.Exported), "{span}", "Spans accepted by the collector or file.");
        meter.CreateObservableCounter("otelgen.exporter.spans.dropped", Dropped, "{span}", "Spans lost, by reason: overwritten, queue_full, rejected, export_failed, filtered.");
        meter.CreateObservableCounter("otelgen.exporter.spans.spooled", () => Each(s => s.Spooled), "{span}", "Spans written to the spool directory while the collector was down.");
        meter.CreateObservableCounter("otelgen.exporter.exports", () => Each(s => s.Exports), "{request}", "Export requests accepted.");
        meter.CreateObservableCounter("otelgen.exporter.failures", () => Each(s => s.Failures), "{request}", "Export requests not delivered.");
        meter.CreateObservableCounter("otelgen.exporter.retries", () => Each(s => s.Retries), "{request}", "Export requests retried.");
        meter.CreateObservableUpDownCounter("otelgen.exporter.queue.size", () => Each(s => s.Pending), "{span}", "Spans waiting for export.");
        return meter;
    }

    private static IEnumerable<Measurement<long>> Each(System.Func<ExporterStatistics, long> pick)
    {
        var measurements = new List<Measurement<long>>();
        lock (s_gate)
        {
            foreach (OtlpExporter exporter in s_exporters)
            {
                measurements.Add(new Measurement<long>(pick(exporter.Statistics), new KeyValuePair<string, object?>("otelgen.exporter.target", exporter.TargetName)));
            }
        }
        return measurements;
    }

    private static IEnumerable<Measurement<long>> Dropped()
    {
        var measurements = new List<Measurement<long>>();
        lock (s_gate)
        {
            foreach (OtlpExporter exporter in s_exporters)
            {
                ExporterStatistics s = exporter.Statistics;
                var target = new KeyValuePair<string, object?>("otelgen.exporter.target", exporter.TargetName);
                measurements.Add(new Measurement<long>(s.DroppedOverwritten, target, new("reason", "overwritten")));
                measurements.Add(new Measurement<long>(s.DroppedQueueFull, target, new("reason", "queue_full")));
                measurements.Add(new Measurement<long>(s.DroppedRejected, target, new("reason", "rejected")));
                measurements.Add(new Measurement<long>(s.DroppedFailed, target, new("reason", "export_failed")));
                measurements.Add(new Measurement<long>(s.DroppedFiltered, target, new("reason", "filtered")));
            }
        }
        return measurements;
    }
}
