namespace OtelGen.Jobs;

/// <summary>Why a job stopped running before it completed (the <c>job.park.cause</c> attribute).</summary>
public enum ParkCause : byte
{
    /// <summary>Waiting for I/O: an effect (database, HTTP, cache) to answer.</summary>
    IoWait = 0,
    /// <summary>Held back by a rate limiter.</summary>
    RateLimit,
    /// <summary>Held back because a downstream queue or consumer is full.</summary>
    Backpressure,
    /// <summary>Waiting for a lock or semaphore.</summary>
    Lock,
    /// <summary>Sleeping until a timer fires (delay, retry backoff).</summary>
    Timer,
    /// <summary>Any other reason.</summary>
    Other,
}

/// <summary>The stable attribute values of <see cref="ParkCause"/>.</summary>
public static class ParkCauses
{
    private static readonly string[] s_names = { "io_wait", "rate_limit", "backpressure", "lock", "timer", "other" };

    /// <summary>The value written to <c>job.park.cause</c>: <c>io_wait</c>, <c>rate_limit</c>, <c>backpressure</c>, <c>lock</c>, <c>timer</c> or <c>other</c>.</summary>
    public static string Name(ParkCause cause) => (uint)cause < (uint)s_names.Length ? s_names[(int)cause] : "other";
}
