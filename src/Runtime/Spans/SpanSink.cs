using System;
using System.Diagnostics;
using OtelGen.Configuration;

namespace OtelGen.Spans;

/// <summary>
/// Where ended spans go: whether recording is on, the ring they are written to, and who else hears of an
/// ended SERVER or CLIENT span. The bottom of the span path, so that spans, jobs and exporters depend on
/// nothing above them; what lives higher up (the exporters the environment asks for, live metrics, the
/// dashboard's route numbers) plugs in through <see cref="Hooks"/>, which <c>Tracing</c> sets when the
/// assembly loads. The first touch (a span site's enabled check) reads the environment and makes the ring,
/// as <c>Tracing</c>'s static constructor did.
/// </summary>
internal static class SpanSink
{
    /// <summary>The ring's maximum capacity when <c>OTELGEN_RING_CAPACITY</c> is unset.</summary>
    internal const int DefaultRingCapacity = 32768;

    /// <summary>The ring's capacity at start (or <c>OTELGEN_RING_CAPACITY</c> when that is smaller).</summary>
    internal const int InitialRingCapacity = 4096;

    private static bool s_enabled;

    static SpanSink()
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
            Hooks.RingReady?.Invoke(Ring);
        }
    }

    /// <summary>False when recording is switched off: every span site then costs one branch.</summary>
    internal static bool IsEnabled => s_enabled;

    /// <summary>The ring of finished spans: what exporters drain and folds read.</summary>
    internal static SpanRing Ring { get; }

    internal static void Disable() => s_enabled = false;

    internal static void Enable() => s_enabled = true;

    /// <summary>Reads the environment and starts what it asks for, if nothing touched the sink yet (its static constructor runs).</summary>
    internal static void EnsureStarted()
    {
    }

    /// <summary>An ended, recorded span: into the ring, and SERVER and CLIENT spans also to <see cref="Hooks.ServerOrClientEnded"/>.</summary>
    internal static void OnEnd(SpanRecord record)
    {
        Ring.Write(record);
        // Live metrics (request and database durations, the dashboard's route numbers): one branch for
        // every other span.
        if (record.Kind is ActivityKind.Server or ActivityKind.Client)
        {
            Hooks.ServerOrClientEnded?.Invoke(record);
        }
    }

    /// <summary>
    /// What the layers above plug in (set once, by <c>Tracing</c>'s module initializer, before any span). A class
    /// of its own, without a static constructor, so that setting them does not start the sink.
    /// </summary>
    internal static class Hooks
    {
        /// <summary>The ring exists and recording is on: start the exporters the environment asks for.</summary>
        internal static Action<SpanRing>? RingReady;

        /// <summary>A SERVER or CLIENT span ended (runtime metrics, live route aggregates).</summary>
        internal static Action<SpanRecord>? ServerOrClientEnded;

        /// <summary>
        /// Someone is about to read a ring (a snapshot, or a cursor: exporters, folds, the dashboard): spans that were
        /// recorded but not yet written (stopped library Activities, copied off their own thread) are written first.
        /// </summary>
        internal static Action? BeforeRead;
    }
}
