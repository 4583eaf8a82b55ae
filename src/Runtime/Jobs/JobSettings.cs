using System;
using OtelGen.Configuration;

namespace OtelGen.Jobs;

/// <summary>
/// When a job's phases are promoted from events to child spans. Read once from the environment
/// (<c>OTELGEN_PROMOTE_QUEUE_MS</c>, <c>OTELGEN_PROMOTE_PARK_MS</c>, both default 5, and
/// <c>OTELGEN_DEBUG_JOBS=1</c>); a property set from code overrides the environment. A bad value
/// (negative, not a number) falls back to the default with one warning.
/// </summary>
public static class JobSettings
{
    /// <summary>The default promotion threshold in milliseconds for both queue wait and park episodes.</summary>
    public const double DefaultPromoteMs = 5;

    // Thresholds are kept in nanoseconds so the per-job check is one comparison.
    private static long s_queueNanos;
    private static long s_parkNanos;
    private static double s_queueMs;
    private static double s_parkMs;
    private static bool s_debug;

    static JobSettings() => ReloadFromEnvironment();

    /// <summary>Queue waits of at least this many milliseconds become a <c>job.queue_wait</c> span.</summary>
    public static double PromoteQueueMs
    {
        get => s_queueMs;
        set
        {
            s_queueMs = Validate(value, nameof(PromoteQueueMs));
            s_queueNanos = ToNanos(s_queueMs);
        }
    }

    /// <summary>Park episodes of at least this many milliseconds become a <c>job.park</c> span.</summary>
    public static double PromoteParkMs
    {
        get => s_parkMs;
        set
        {
            s_parkMs = Validate(value, nameof(PromoteParkMs));
            s_parkNanos = ToNanos(s_parkMs);
        }
    }

    /// <summary>Promotes every queue wait and every park episode, whatever its length.</summary>
    public static bool DebugJobs
    {
        get => s_debug;
        set => s_debug = value;
    }

    internal static long QueueThresholdNanos => s_debug ? 0 : s_queueNanos;

    internal static long ParkThresholdNanos => s_debug ? 0 : s_parkNanos;

    /// <summary>Reads the environment again, discarding values set from code (for tests and hosts that set variables late).</summary>
    public static void ReloadFromEnvironment()
    {
        PromoteQueueMs = EnvironmentSettings.GetNonNegativeDouble("OTELGEN_PROMOTE_QUEUE_MS", DefaultPromoteMs);
        PromoteParkMs = EnvironmentSettings.GetNonNegativeDouble("OTELGEN_PROMOTE_PARK_MS", DefaultPromoteMs);
        DebugJobs = EnvironmentSettings.GetBool("OTELGEN_DEBUG_JOBS", false);
    }

    private static double Validate(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "A promotion threshold is a finite number of milliseconds, zero or more.");
        }
        return value;
    }

    private static long ToNanos(double ms) => ms >= long.MaxValue / 1_000_000.0 ? long.MaxValue : (long)Math.Ceiling(ms * 1_000_000);
}
