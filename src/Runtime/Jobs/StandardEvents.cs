using System;
using OtelGen.Context;
using OtelGen.Spans;

namespace OtelGen.Jobs;

/// <summary>How the effects of a need run.</summary>
public enum NeedMode : byte
{
    /// <summary>All at once (<c>parallel</c>).</summary>
    Parallel = 0,
    /// <summary>One after another (<c>sequential</c>).</summary>
    Sequential,
}

/// <summary>When a need is satisfied.</summary>
public enum NeedJoin : byte
{
    /// <summary>When every effect has completed (<c>all</c>).</summary>
    All = 0,
    /// <summary>When any effect has completed (<c>any</c>).</summary>
    Any,
    /// <summary>When the first effect succeeds (<c>first_success</c>).</summary>
    FirstSuccess,
}

/// <summary>
/// Span events with stable names and attributes: <c>need.requested {effects, mode, join}</c>,
/// <c>need.join {completed, failed, duration_ms}</c>, <c>slot.write {slot, size_bytes}</c> and
/// <c>retry {attempt, reason, backoff_ms}</c>. These methods record on the current span (the running
/// job, or a span scope); <see cref="Job"/> has the same methods for a job that is not running here.
/// </summary>
public static class StandardEvents
{
    /// <summary>The need asked for <paramref name="effects"/> (their span names; the array is kept by reference).</summary>
    public static void NeedRequested(string[] effects, NeedMode mode, NeedJoin join)
    {
        if (Current() is { } record)
        {
            NeedRequested(record, SpanClock.NowUnixNanos(), effects, mode, join);
        }
    }

    /// <summary>The effects of a need came back: how many completed and failed, and how long the need took.</summary>
    public static void NeedJoined(int completed, int failed, double durationMs)
    {
        if (Current() is { } record)
        {
            NeedJoined(record, SpanClock.NowUnixNanos(), completed, failed, durationMs);
        }
    }

    /// <summary>A result was written to slot <paramref name="slot"/>.</summary>
    public static void SlotWrite(string slot, long sizeBytes)
    {
        if (Current() is { } record)
        {
            SlotWrite(record, SpanClock.NowUnixNanos(), slot, sizeBytes);
        }
    }

    /// <summary>The operation is tried again: attempt number (1 for the first retry), why, and the wait before it.</summary>
    public static void Retry(int attempt, string reason, double backoffMs)
    {
        if (Current() is { } record)
        {
            Retry(record, SpanClock.NowUnixNanos(), attempt, reason, backoffMs);
        }
    }

    internal static string ModeName(NeedMode mode) => mode == NeedMode.Sequential ? "sequential" : "parallel";

    internal static string JoinName(NeedJoin join) => join switch
    {
        NeedJoin.Any => "any",
        NeedJoin.FirstSuccess => "first_success",
        _ => "all",
    };

    internal static void NeedRequested(SpanRecord record, long time, string[] effects, NeedMode mode, NeedJoin join)
    {
        KeyValueBuffer4 buffer = default;
        buffer[0] = new KeyValue("effects", AttributeValue.Of(effects ?? Array.Empty<string>()));
        buffer[1] = new KeyValue("mode", ModeName(mode));
        buffer[2] = new KeyValue("join", JoinName(join));
        Job.AddEventInOrder(record, "need.requested", time, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, 3));
    }

    internal static void NeedJoined(SpanRecord record, long time, int completed, int failed, double durationMs)
    {
        KeyValueBuffer4 buffer = default;
        buffer[0] = new KeyValue("completed", (long)completed);
        buffer[1] = new KeyValue("failed", (long)failed);
        buffer[2] = new KeyValue("duration_ms", durationMs);
        Job.AddEventInOrder(record, "need.join", time, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, 3));
    }

    internal static void SlotWrite(SpanRecord record, long time, string slot, long sizeBytes)
    {
        KeyValueBuffer4 buffer = default;
        buffer[0] = new KeyValue("slot", slot);
        buffer[1] = new KeyValue("size_bytes", sizeBytes);
        Job.AddEventInOrder(record, "slot.write", time, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, 2));
    }

    internal static void Retry(SpanRecord record, long time, int attempt, string reason, double backoffMs)
    {
        KeyValueBuffer4 buffer = default;
        buffer[0] = new KeyValue("attempt", (long)attempt);
        buffer[1] = new KeyValue("reason", reason);
        buffer[2] = new KeyValue("backoff_ms", backoffMs);
        Job.AddEventInOrder(record, "retry", time, ((ReadOnlySpan<KeyValue>)buffer).Slice(0, 3));
    }

    private static SpanRecord? Current() => AmbientContext.CurrentSpan() is { Recording: true } span ? span.Record : null;
}
