using System;
using System.Collections.Generic;
using System.Diagnostics;
using OtelGen.Configuration;
using OtelGen.Export;
using OtelGen.Spans;

namespace OtelGen.Sampling;

/// <summary>
/// The tail stage as the OTLP exporter's <see cref="ISpanExportStage"/>: every drained span is offered to a
/// <see cref="TailSampler"/>; spans it keeps are exported, from this batch or a later <see cref="Release"/>.
/// One instance per exporter (it owns its held traces). Runs on the exporter's thread only.
/// <code>options.Stage = TailSamplingStage.FromSettings(SamplingSettings.Current);   // null when tail sampling is off</code>
/// </summary>
public sealed class TailSamplingStage : ISpanExportStage
{
    private static readonly double s_nanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private const int MaxSpare = 4096;
    private readonly Queue<SpanRecord> _ready = new();
    private readonly Stack<SpanRecord> _free = new();
    // What the exporter counts as held: the sampler's spans plus ready ones, plus drops not yet reported.
    private long _reportedHeld;

    /// <summary>Makes a stage with its own <see cref="TailSampler"/>.</summary>
    public TailSamplingStage(TailSamplerSettings settings)
    {
        Sampler = new TailSampler(settings, Keep);
    }

    /// <summary>The stage for <paramref name="settings"/>, or null when they switch tail sampling off.</summary>
    public static TailSamplingStage? FromSettings(SamplingSettings settings) =>
        settings.TailEnabled ? new TailSamplingStage(settings.Tail) : null;

    /// <summary>The sampler, for its counters.</summary>
    public TailSampler Sampler { get; }

    /// <summary>
    /// Spans the exporter was told are held that the sampler has since dropped, not yet reported as
    /// filtered: <see cref="ISpanExportStage.Process"/> cannot report a negative held count, so the
    /// exporter's <c>Held</c> exceeds the truth by this much (and <c>DroppedFiltered</c> falls short by it).
    /// </summary>
    public long HeldThenDroppedUnreported => Math.Max(0, _reportedHeld - (Sampler.HeldSpans + _ready.Count));

    /// <inheritdoc/>
    public int Process(SpanRecord[] batch, int count, out int held)
    {
        long now = NowNanos();
        for (int i = 0; i < count; i++)
        {
            Sampler.Offer(batch[i], now);
        }
        // The batch's records are free now (held spans were copied): swap kept ones in.
        int kept = FillFromReady(batch, Math.Min(count, batch.Length));
        long actualHeld = Sampler.HeldSpans + _ready.Count;
        // The exporter's books take held spans only as a non-negative share of this batch; spans it
        // counted as held and that were dropped since are reported as filtered when a batch leaves room.
        held = (int)Math.Clamp(actualHeld - _reportedHeld, 0, count - kept);
        _reportedHeld += held;
        return kept;
    }

    /// <inheritdoc/>
    public int Release(SpanRecord[] batch, bool final)
    {
        if (final)
        {
            Sampler.Flush();
        }
        else
        {
            Sampler.Expire(NowNanos());
        }
        int released = FillFromReady(batch, batch.Length);
        _reportedHeld -= released;
        return released;
    }

    private int FillFromReady(SpanRecord[] batch, int limit)
    {
        int n = 0;
        while (n < limit && _ready.Count > 0)
        {
            SpanRecord? spare = batch[n];
            batch[n] = _ready.Dequeue();
            if (spare is not null && _free.Count < MaxSpare)
            {
                spare.Clear();
                _free.Push(spare);
            }
            n++;
        }
        return n;
    }

    // The sampler's record is valid only during the call: copy it into one of ours.
    private void Keep(SpanRecord span)
    {
        SpanRecord copy = _free.Count > 0 ? _free.Pop() : new SpanRecord();
        span.CopyTo(copy);
        _ready.Enqueue(copy);
    }

    private static long NowNanos() => (long)(Stopwatch.GetTimestamp() * s_nanosPerTick);
}
