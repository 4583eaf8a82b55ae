using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using OtelGen.Activities;
using OtelGen.Context;
using OtelGen.Export;
using OtelGen.Folds;
using OtelGen.Metrics;
using OtelGen.Sampling;
using OtelGen.Spans;

namespace OtelGen;

/// <summary>
/// The one static entry point: spans from code, for regions that are not a whole method, the current span
/// from anywhere, and the process-wide tracing state (whether spans are recorded, the ring they go to,
/// flush and shutdown). Zero configuration: the first span initializes it from the standard OpenTelemetry
/// environment variables.
/// <code>
/// using var span = Tracing.StartSpan("validate_order");          // synchronous region, no allocation
/// span.SetAttribute("order.id", orderId);
///
/// using var work = Tracing.StartAsyncSpan("load_all");           // a region that awaits
/// await LoadAsync();
///
/// Tracing.CurrentSpan.SetAttribute("order.id", orderId);        // enrich the span a [Traced] method opened
/// string? traceId = Tracing.CurrentSpan.TraceId;                // for logs and responses
/// </code>
/// </summary>
public static class Tracing
{
    /// <summary>
    /// Starts a span for a synchronous region. The returned scope is a ref struct: the compiler keeps it
    /// from crossing an <c>await</c>; use <see cref="StartAsyncSpan"/> for regions that await.
    /// </summary>
    public static SpanScope StartSpan(string name, ActivityKind kind = ActivityKind.Internal) =>
        SpanScope.Start(null, name, kind, flow: false);

    /// <summary>
    /// Starts a span for a region that awaits or forks: it is current for the async flow until disposed,
    /// so spans after an <c>await</c> and in <c>Task.Run</c> find it. Costs an execution-context change.
    /// </summary>
    public static AsyncSpanScope StartAsyncSpan(string name, ActivityKind kind = ActivityKind.Internal) =>
        AsyncSpanScope.Start(null, name, kind);

    /// <summary>The innermost open span in this flow, generated or from code (a no-op handle when there is none).</summary>
    public static SpanHandle CurrentSpan => new(AmbientContext.CurrentSpan());

    /// <summary>The current trace context, including one continued from a remote parent.</summary>
    public static SpanContext CurrentContext => TraceContext.Current;

    /// <summary>The ring's maximum capacity when <c>OTELGEN_RING_CAPACITY</c> is unset.</summary>
    public const int DefaultRingCapacity = SpanSink.DefaultRingCapacity;

    /// <summary>
    /// The ring's capacity at start (or <c>OTELGEN_RING_CAPACITY</c> when that is smaller); it grows towards
    /// the maximum only while a reader that must not lose spans (the exporter) falls behind.
    /// </summary>
    public const int InitialRingCapacity = SpanSink.InitialRingCapacity;

    /// <summary>
    /// False when tracing is switched off (<c>OTEL_SDK_DISABLED=true</c> or <see cref="Disable"/>): every
    /// generated span site then costs one branch.
    /// </summary>
    public static bool IsEnabled => SpanSink.IsEnabled;

    /// <summary>The ring of finished spans: what exporters drain and folds read.</summary>
    public static SpanRing Ring => SpanSink.Ring;

    /// <summary>Switches recording off for the whole process (overrides the environment).</summary>
    public static void Disable() => SpanSink.Disable();

    /// <summary>Switches recording on for the whole process (overrides the environment).</summary>
    public static void Enable() => SpanSink.Enable();

    /// <summary>
    /// Exports every span recorded so far through the running exporters; blocks the caller until done or
    /// <paramref name="timeout"/> passes. True when everything was handled. Never throws.
    /// </summary>
    public static bool Flush(TimeSpan timeout)
    {
        SpanSink.EnsureStarted();
        return OtlpExporter.FlushAll(timeout);
    }

    /// <summary>Flushes and stops the running exporters within <paramref name="timeout"/> (also done on process exit).</summary>
    public static bool Shutdown(TimeSpan timeout)
    {
        SpanSink.EnsureStarted();
        return OtlpExporter.ShutdownAll(timeout);
    }

    internal static void OnEnd(SpanRecord record) => SpanSink.OnEnd(record);

    /// <summary>
    /// Records the Activities of these ActivitySources as OtelGen spans, as <c>OTELGEN_ACTIVITY_SOURCES</c> does (names,
    /// or patterns with <c>*</c>; case is ignored), for example <c>Tracing.RecordActivities("System.Net.Http", "Npgsql")</c>.
    /// Adds to what the environment named. A malformed name is skipped with a warning; nothing is thrown.
    /// </summary>
    public static void RecordActivities(params string[] sourceNames) => ActivityInterop.Record(sourceNames ?? Array.Empty<string>());

    /// <summary>
    /// Wires the layers when the assembly loads; the one place that knows them all. Lower layers call up only
    /// through these hooks: the span sink (Core) starts the exporters the environment asks for (Export) once
    /// its ring exists, and hands ended SERVER and CLIENT spans to the runtime metrics (Metrics) and the live
    /// route aggregates (Folds); a starting span's head decision (Core) takes its first settings from the
    /// sampling configuration (Sampling); a reader of the ring (Core) first has the stopped library Activities
    /// waiting to be copied written (Activities). Only assigns delegates, and puts OtelGen among Activities (see
    /// below): the environment's exporters still start at the first span.
    /// </summary>
#pragma warning disable CA2255 // A library's module initializer: it only sets the hooks above, and must run before any span.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Wire()
    {
        SpanSink.Hooks.RingReady = ExportStartup.StartFromEnvironment;
        SpanSink.Hooks.ServerOrClientEnded = OnServerOrClientEnd;
        HeadDecision.Hooks.Initial = HeadSampler.InitialDecision;
        SpanSink.Hooks.BeforeRead = ActivityRecorder.DrainPending;
        // Not a hook: HttpClient handlers take the context propagator when they are made, so it must be in
        // place before the first span; the listener reads OTELGEN_ACTIVITY_SOURCES now for the same reason.
        ActivityInterop.Install();
    }

    private static void OnServerOrClientEnd(SpanRecord record)
    {
        RuntimeMetrics.OnSpanEnd(record);
        LiveRouteAggregates.OnSpanEnd(record);
    }
}
