using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Export;
using OtelGen.Spans;
using OtelGen.TestSupport;
using Xunit;

// The span ring, the bridge, ActivityListeners and OtelGen's exporters are process-wide: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace OtelGen.OpenTelemetry.Tests;

/// <summary>
/// OtelGen's own OTLP export from the environment, as an app that sets <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> for the SDK
/// has it: the variable names a loopback collector, set before anything touches OtelGen, and the exporter starts with
/// the ring, before any TracerProvider with <c>AddOtelGen()</c> exists.
/// </summary>
internal static class EnvironmentExport
{
    /// <summary>The fake collector OTEL_EXPORTER_OTLP_ENDPOINT points at.</summary>
    internal static OtlpListener Collector { get; private set; } = null!;

    /// <summary>The exporter the environment started (before any bridge).</summary>
    internal static OtlpExporter? StartedFromEnvironment { get; private set; }

    /// <summary>A span OtelGen's exporter sent to <see cref="Collector"/> before any bridge: the collector works.</summary>
    internal static string? ControlSpanId { get; private set; }

    private static int s_controlled;

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Start()
    {
        Collector = new OtlpListener();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", Collector.Endpoint);
        Environment.SetEnvironmentVariable("OTEL_SERVICE_NAME", "otelgen-opentelemetry-tests");
        // The ring's first touch reads the environment and starts the exporter.
        _ = Tracing.Ring;
        StartedFromEnvironment = OtlpExporter.Current;
    }

    /// <summary>
    /// Before the first TracerProvider with AddOtelGen(): one span sent by OtelGen's own exporter reaches the collector
    /// (so that "nothing arrived" later means the exporter stopped, not that it never worked).
    /// </summary>
    internal static void EnsureControl()
    {
        if (Interlocked.Exchange(ref s_controlled, 1) != 0)
        {
            return;
        }
        using (SpanScope span = Tracing.StartSpan("control.before.bridge"))
        {
            ControlSpanId = span.Context.SpanId.ToHexString();
        }
        Tracing.Flush(TimeSpan.FromSeconds(10));
        Collector.WaitFor(1, TimeSpan.FromSeconds(5));
    }
}

/// <summary>Ids as the SDK's Activities spell them.</summary>
internal static class Hex
{
    internal static string Of(TraceId id) => id.ToHexString();

    internal static string Of(SpanId id) => id.IsValid ? id.ToHexString() : "0000000000000000";

    internal static string ParentOf(Activity activity) => activity.ParentSpanId.ToHexString();
}

/// <summary>
/// What an InMemoryExporter exports into, safe to read while exporters add (a SERVER Activity is exported on the
/// Kestrel thread that stops it, bridged spans on the bridge thread): every member takes the lock.
/// </summary>
internal sealed class ExportedActivities : ICollection<Activity>
{
    private readonly List<Activity> _items = new();

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    /// <summary>A copy of what was exported so far.</summary>
    public List<Activity> Snapshot()
    {
        lock (_items)
        {
            return _items.ToList();
        }
    }

    public void Add(Activity item)
    {
        lock (_items)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_items)
        {
            _items.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_items)
        {
            return _items.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_items)
        {
            _items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_items)
        {
            return _items.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
