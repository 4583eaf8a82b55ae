using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;
using OtelGen;
using OtelGen.Spans;

namespace OtelGen.Samples.Workflow;

/// <summary>
/// The workflow's span sites and metrics. Span sites are descriptors made once (what the generator
/// emits for [Traced]/[Effect] methods); the metrics use System.Diagnostics.Metrics, which any
/// OpenTelemetry metrics pipeline (or a MeterListener) can read.
/// </summary>
public static class WorkflowTelemetry
{
    /// <summary>The meter name: subscribe to it to read the workflow metrics.</summary>
    public const string MeterName = "OtelGen.Samples.Workflow";

    /// <summary>Link attribute naming why a span links to another.</summary>
    public const string LinkReason = "workflow.link.reason";

    private static readonly Meter s_meter = new(MeterName, "1.0.0");

    /// <summary>Executions claimed by workers (tag <c>workflow.queue</c>).</summary>
    public static readonly Counter<long> Claimed = s_meter.CreateCounter<long>("workflow.executions.claimed", "{execution}", "Executions claimed by a worker.");

    /// <summary>Executions finished, tagged <c>workflow.execution.status</c> = completed | failed.</summary>
    public static readonly Counter<long> Completed = s_meter.CreateCounter<long>("workflow.executions.completed", "{execution}", "Executions a worker finished (completed or failed).");

    /// <summary>Executions created.</summary>
    public static readonly Counter<long> Created = s_meter.CreateCounter<long>("workflow.executions.created", "{execution}", "Executions created.");

    /// <summary>How long the user function ran, seconds.</summary>
    public static readonly Histogram<double> Duration = s_meter.CreateHistogram<double>("workflow.execution.duration", "s", "Time the execution's function ran.");

    /// <summary>How long a claimable execution waited before a worker claimed it, seconds.</summary>
    public static readonly Histogram<double> ClaimLatency = s_meter.CreateHistogram<double>("workflow.execution.claim_latency", "s", "Time from an execution becoming claimable (created or reassigned) to its claim.");

    // Gauges are read from the table by each worker's heartbeat; collection only reads these snapshots,
    // so a metrics scrape never waits on the database.
    private static readonly Dictionary<string, (long QueueDepth, long ActiveWorkers)> s_snapshots = new();
    private static readonly Lock s_snapshotLock = new();

    static WorkflowTelemetry()
    {
        s_meter.CreateObservableGauge("workflow.queue.depth", () => ReadGauge(static s => s.QueueDepth), "{execution}", "Executions waiting in the queue (read from the executions table).");
        s_meter.CreateObservableGauge("workflow.workers.active", () => ReadGauge(static s => s.ActiveWorkers), "{worker}", "Workers with a recent heartbeat (read from the workers table).");
    }

    /// <summary>Records what a heartbeat read from the tables.</summary>
    public static void RecordGauges(string queue, long queueDepth, long activeWorkers)
    {
        lock (s_snapshotLock)
        {
            s_snapshots[queue] = (queueDepth, activeWorkers);
        }
    }

    private static IEnumerable<Measurement<long>> ReadGauge(Func<(long QueueDepth, long ActiveWorkers), long> pick)
    {
        var result = new List<Measurement<long>>();
        lock (s_snapshotLock)
        {
            foreach (KeyValuePair<string, (long, long)> entry in s_snapshots)
            {
                result.Add(new Measurement<long>(pick(entry.Value), new KeyValuePair<string, object?>("workflow.queue", entry.Key)));
            }
        }
        return result;
    }

    /// <summary>Constant attributes of the CLIENT spans for statements on the executions table.</summary>
    public static KeyValue[] DbAttributes(string operation, string collection, string queryText) => new KeyValue[]
    {
        new("db.system.name", "postgresql"),
        new("db.operation.name", operation),
        new("db.collection.name", collection),
        new("db.query.summary", operation + " " + collection),
        new("db.query.text", queryText),
    };

    /// <summary>Sets the per-connection attributes (<c>db.namespace</c>, <c>server.address</c>, <c>server.port</c>).</summary>
    public static void SetConnectionAttributes(in SpanScope span, DatabaseTarget target)
    {
        span.SetAttribute("db.namespace", target.Database);
        span.SetAttribute("server.address", target.Host);
        span.SetAttribute("server.port", target.Port);
    }

    /// <summary>Sets the per-connection attributes on an async span.</summary>
    public static void SetConnectionAttributes(in AsyncSpanScope span, DatabaseTarget target)
    {
        span.SetAttribute("db.namespace", target.Database);
        span.SetAttribute("server.address", target.Host);
        span.SetAttribute("server.port", target.Port);
    }
}

/// <summary>Where the database is, for the semconv <c>server.*</c> and <c>db.namespace</c> attributes.</summary>
public sealed record DatabaseTarget(string Host, int Port, string Database);
