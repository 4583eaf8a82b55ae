using System.Collections.Generic;
using System.Diagnostics.Metrics;
using OtelGen.Configuration;

namespace OtelGen.Jobs;

/// <summary>
/// Job metrics on the <c>OtelGen</c> meter: queue wait, park wait and active run time as histograms in
/// seconds, and a counter of parks. Recording costs one branch when nobody listens.
/// </summary>
internal static class JobMetrics
{
    /// <summary>The meter name every OtelGen instrument uses.</summary>
    public const string MeterName = "OtelGen";

    private static readonly Meter s_meter = new(MeterName);

    /// <summary><c>otelgen.job.queue_wait</c>: time from enqueue to take, seconds, tagged <c>job.queue</c>.</summary>
    public static readonly Histogram<double> QueueWait = s_meter.CreateHistogram<double>("otelgen.job.queue_wait", "s", "Time a job waited in its queue before a worker took it.");

    /// <summary><c>otelgen.job.park_wait</c>: length of one park episode, seconds, tagged <c>job.queue</c> and <c>job.park.cause</c>.</summary>
    public static readonly Histogram<double> ParkWait = s_meter.CreateHistogram<double>("otelgen.job.park_wait", "s", "Time a job spent parked in one episode.");

    /// <summary><c>otelgen.job.run_active</c>: time a job ran, parks excluded, seconds, tagged <c>job.queue</c>.</summary>
    public static readonly Histogram<double> RunActive = s_meter.CreateHistogram<double>("otelgen.job.run_active", "s", "Time a job spent running, from start to completion minus parked time.");

    /// <summary><c>otelgen.job.parks</c>: how many times jobs parked, tagged <c>job.queue</c> and <c>job.park.cause</c>.</summary>
    public static readonly Counter<long> Parks = s_meter.CreateCounter<long>("otelgen.job.parks", "{park}", "How many times jobs parked.");

    internal static void RecordQueueWait(long nanos, string queue)
    {
        if (QueueWait.Enabled)
        {
            QueueWait.Record(nanos / 1e9, new KeyValuePair<string, object?>("job.queue", queue));
        }
    }

    internal static void RecordPark(string queue, ParkCause cause)
    {
        if (Parks.Enabled)
        {
            Parks.Add(1, new KeyValuePair<string, object?>("job.queue", queue), new KeyValuePair<string, object?>("job.park.cause", ParkCauses.Name(cause)));
        }
    }

    internal static void RecordParkWait(long nanos, string queue, ParkCause cause)
    {
        if (ParkWait.Enabled)
        {
            ParkWait.Record(nanos / 1e9, new KeyValuePair<string, object?>("job.queue", queue), new KeyValuePair<string, object?>("job.park.cause", ParkCauses.Name(cause)));
        }
    }

    internal static void RecordRunActive(long nanos, string queue)
    {
        if (RunActive.Enabled)
        {
            RunActive.Record(nanos / 1e9, new KeyValuePair<string, object?>("job.queue", queue));
        }
    }
}
