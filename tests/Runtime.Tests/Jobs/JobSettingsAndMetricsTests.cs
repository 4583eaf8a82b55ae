using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using OtelGen.Jobs;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Jobs;

public sealed class JobSettingsAndMetricsTests : IDisposable
{
    private static readonly string[] Variables = { "OTELGEN_PROMOTE_QUEUE_MS", "OTELGEN_PROMOTE_PARK_MS", "OTELGEN_DEBUG_JOBS" };
    private readonly ManualClock _clock = new();

    public JobSettingsAndMetricsTests() => Tracing.Enable();

    public void Dispose()
    {
        _clock.Dispose();
        foreach (string name in Variables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }
        JobSettings.ReloadFromEnvironment();
    }

    private static string CaptureStderr(Action action)
    {
        TextWriter original = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            action();
        }
        finally
        {
            Console.SetError(original);
        }
        return captured.ToString();
    }

    [Fact]
    public void Environment_sets_the_thresholds_and_debug()
    {
        Environment.SetEnvironmentVariable("OTELGEN_PROMOTE_QUEUE_MS", "12.5");
        Environment.SetEnvironmentVariable("OTELGEN_PROMOTE_PARK_MS", "0");
        Environment.SetEnvironmentVariable("OTELGEN_DEBUG_JOBS", "1");
        string warnings = CaptureStderr(JobSettings.ReloadFromEnvironment);
        Assert.Equal(12.5, JobSettings.PromoteQueueMs);
        Assert.Equal(0, JobSettings.PromoteParkMs);
        Assert.True(JobSettings.DebugJobs);
        Assert.Equal(string.Empty, warnings);
    }

    [Fact]
    public void Unset_environment_gives_the_defaults()
    {
        JobSettings.ReloadFromEnvironment();
        Assert.Equal(5, JobSettings.PromoteQueueMs);
        Assert.Equal(5, JobSettings.PromoteParkMs);
        Assert.False(JobSettings.DebugJobs);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("five-ms")]
    [InlineData("NaN")]
    public void Bad_environment_values_fall_back_to_the_default_with_one_warning(string bad)
    {
        Environment.SetEnvironmentVariable("OTELGEN_PROMOTE_QUEUE_MS", bad);
        Environment.SetEnvironmentVariable("OTELGEN_PROMOTE_PARK_MS", bad);
        string warnings = CaptureStderr(() =>
        {
            JobSettings.ReloadFromEnvironment();
            JobSettings.ReloadFromEnvironment();
        });
        Assert.Equal(5, JobSettings.PromoteQueueMs);
        Assert.Equal(5, JobSettings.PromoteParkMs);
        string[] lines = warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // One warning per variable, even though the environment was read twice.
        Assert.Single(lines, l => l.Contains("OTELGEN_PROMOTE_QUEUE_MS", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("OTELGEN_PROMOTE_PARK_MS", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.StartsWith("[otelgen] warning:", l));
    }

    [Fact]
    public void Code_overrides_the_environment()
    {
        Environment.SetEnvironmentVariable("OTELGEN_PROMOTE_QUEUE_MS", "50");
        JobSettings.ReloadFromEnvironment();
        Assert.Equal(50, JobSettings.PromoteQueueMs);
        JobSettings.PromoteQueueMs = 3;

        Job job = Job.EnqueueStep("override", "q", 0);
        TraceId traceId = job.Context.TraceId;
        _clock.Advance(4);
        job.Completed(true);
        Assert.Single(Tracing.Ring.Snapshot(), s => s.TraceId == traceId && s.Name == "job.queue_wait");
        Assert.Throws<ArgumentOutOfRangeException>(() => JobSettings.PromoteParkMs = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => JobSettings.PromoteQueueMs = double.NaN);
    }

    [Fact]
    public void Jobs_report_queue_wait_park_wait_run_active_and_parks_on_the_OtelGen_meter()
    {
        var measurements = new List<(string Instrument, string? Unit, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "OtelGen" && instrument.Name.StartsWith("otelgen.job.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, value, tags, _) => measurements.Add((i.Name, i.Unit, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.SetMeasurementEventCallback<long>((i, value, tags, _) => measurements.Add((i.Name, i.Unit, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        Job job = Job.EnqueueStep("metered", "metrics-q", 3);
        _clock.Advance(12);
        job.Taken(2);
        job.Started();
        _clock.Advance(1);
        job.Parked(ParkCause.RateLimit, "quota", 5, 5);
        _clock.Advance(30);
        job.Resumed();
        _clock.Advance(2);
        job.Parked(ParkCause.IoWait);
        _clock.Advance(4);
        job.Resumed();
        _clock.Advance(0.5);
        job.Completed(true);
        listener.Dispose();

        var mine = measurements.Where(m => Equals(m.Tags.GetValueOrDefault("job.queue"), "metrics-q")).ToList();
        var queueWait = mine.Single(m => m.Instrument == "otelgen.job.queue_wait");
        Assert.Equal("s", queueWait.Unit);
        Assert.Equal(0.012, queueWait.Value, 9);
        var parkWaits = mine.Where(m => m.Instrument == "otelgen.job.park_wait").ToList();
        Assert.Equal(new[] { 0.030, 0.004 }, parkWaits.Select(m => Math.Round(m.Value, 9)));
        Assert.Equal(new object?[] { "rate_limit", "io_wait" }, parkWaits.Select(m => m.Tags["job.park.cause"]));
        var parks = mine.Where(m => m.Instrument == "otelgen.job.parks").ToList();
        Assert.Equal(2, parks.Sum(m => m.Value));
        var runActive = mine.Single(m => m.Instrument == "otelgen.job.run_active");
        Assert.Equal("s", runActive.Unit);
        Assert.Equal(0.0035, runActive.Value, 9);
    }

    [Fact]
    public void Park_causes_have_stable_names()
    {
        Assert.Equal(
            new[] { "io_wait", "rate_limit", "backpressure", "lock", "timer", "other" },
            Enum.GetValues<ParkCause>().Select(ParkCauses.Name));
        Assert.Equal("other", ParkCauses.Name((ParkCause)200));
    }
}
