using System;
using OtelGen.Export;
using OtelGen.Spans;

namespace OtelGen;

/// <summary>
/// The process-wide tracing state: whether spans are recorded, and the ring they go to. Zero
/// configuration: the first span initializes it from the standard OpenTelemetry environment variables.
/// </summary>
public static class Tracing
{
    private static bool s_enabled;

    static Tracing()
    {
        s_enabled = !EnvironmentSettings.GetBool("OTEL_SDK_DISABLED", false);
        // The ring is also the exporter's queue. It starts small (every write then lands in memory
        // touched recently) and grows, up to 32768 slots, only while the exporter falls behind: enough
        // for the burst of a short-lived process (a batch agent's 25,000 spans) to wait whole.
        // ~200 B a slot once allocated, ~350 B once a slot held a span with one attribute.
        int max = Math.Clamp(EnvironmentSettings.GetPositiveInt("OTELGEN_RING_CAPACITY", DefaultRingCapacity), 2, 1 << 30);
        Ring = new SpanRing(Math.Min(InitialRingCapacity, max), max);
        if (s_enabled)
        {
            ExportStartup.StartFromEnvironment(Ring);
        }
    }

    /// <summary>The ring's maximum capacity when <c>OTELGEN_RING_CAPACITY</c> is unset.</summary>
    public const int DefaultRingCapacity = 32768;

    /// <summary>
    /// The ring's capacity at start (or <c>OTELGEN_RING_CAPACITY</c> when that is smaller); it grows towards
    /// the maximum only while a reader that must not lose spans (the exporter) falls behind.
    /// </summary>
    public const int InitialRingCapacity = 4096;

    /// <summary>
    /// False when tracing is switched off (<c>OTEL_SDK_DISABLED=true</c> or <see cref="Disable"/>): every
    /// generated span site then costs one branch.
    /// </summary>
    public static bool IsEnabled => s_enabled;

    /// <summary>The ring of finished spans: what exporters drain and folds read.</summary>
    public static SpanRing Ring { get; }

    /// <summary>Switches recording off for the whole process (overrides the environment).</summary>
    public static void Disable() => s_enabled = false;

    /// <summary>Switches recording on for the whole process (overrides the environment).</summary>
    public static void Enable() => s_enabled = true;

    /// <summary>
    /// Exports every span recorded so far through the running exporters; blocks the caller until done or
    /// <paramref name="timeout"/> passes. True when everything was handled. Never throws.
    /// </summary>
    public static bool Flush(TimeSpan timeout) => OtlpExporter.FlushAll(timeout);

    /// <summary>Flushes and stops the running exporters within <paramref name="timeout"/> (also done on process exit).</summary>
    public static bool Shutdown(TimeSpan timeout) => OtlpExporter.ShutdownAll(timeout);

    internal static void OnEnd(SpanRecord record)
    {
        Ring.Write(record);
        // Live metrics (request and database durations, the dashboard's route numbers): one branch for
        // every other span.
        if (record.Kind is SpanKind.Server or SpanKind.Client)
        {
            OtelGen.Folds.RuntimeMetrics.OnSpanEnd(record);
            OtelGen.Folds.LiveRouteAggregates.OnSpanEnd(record);
        }
    }
}
