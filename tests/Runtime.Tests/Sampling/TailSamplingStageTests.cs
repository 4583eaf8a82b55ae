using System;
using System.Linq;
using OtelGen.Export;
using OtelGen.Sampling;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public class TailSamplingStageTests
{
    private long _exported;
    private long _filtered;
    private long _held;

    private static SpanRecord Span(ulong trace, ulong id, ulong parent, string name, bool error = false) => new()
    {
        TraceId = new TraceId(0x57a9e, trace),
        SpanId = new SpanId(id),
        ParentSpanId = new SpanId(parent),
        Name = name,
        StartUnixNano = 0,
        EndUnixNano = 1_000_000,
        StatusCode = error ? SpanStatusCode.Error : SpanStatusCode.Unset,
    };

    // What the exporter does with a stage (OtlpExporter.ExportPending), on a batch it then reuses.
    private SpanRecord[] Process(ISpanExportStage stage, params SpanRecord[] spans)
    {
        var batch = new SpanRecord[16];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = i < spans.Length ? spans[i] : new SpanRecord();
        }
        int kept = stage.Process(batch, spans.Length, out int held);
        Assert.InRange(kept, 0, spans.Length);
        Assert.InRange(held, 0, spans.Length - kept);
        _exported += kept;
        _held += held;
        _filtered += spans.Length - kept - held;
        SpanRecord[] exported = batch.Take(kept).Select(s => s.Clone()).ToArray();
        foreach (SpanRecord record in batch)
        {
            record.Clear();
            record.Name = "reused by the exporter";
        }
        return exported;
    }

    private SpanRecord[] Release(ISpanExportStage stage, bool final)
    {
        var batch = Enumerable.Range(0, 16).Select(_ => new SpanRecord()).ToArray();
        int released = stage.Release(batch, final);
        _exported += released;
        _held -= released;
        return batch.Take(released).Select(s => s.Clone()).ToArray();
    }

    [Fact]
    public void Kept_traces_leave_in_the_batch_and_the_books_balance()
    {
        var stage = new TailSamplingStage(new TailSamplerSettings { Policies = TailPolicies.Error });

        // A failing trace and a fine one, whole in one batch.
        SpanRecord[] first = Process(stage,
            Span(1, 2, 1, "db.get", error: true), Span(1, 1, 0, "GET /a"),
            Span(2, 2, 1, "db.get"), Span(2, 1, 0, "GET /a"));
        Assert.Equal(new[] { "db.get", "GET /a" }, first.Select(s => s.Name));
        Assert.All(first, s => Assert.Equal(1UL, s.TraceId.Low));
        Assert.Equal((2, 2, 0), (_exported, _filtered, _held));

        // Children whose roots come later: held.
        Assert.Empty(Process(stage, Span(3, 2, 1, "db.get", error: true), Span(4, 2, 1, "db.get")));
        Assert.Equal((2, 2, 2), (_exported, _filtered, _held));

        // Trace 3's root: its held child and the root leave now; trace 4's root drops it and its child.
        SpanRecord[] second = Process(stage, Span(3, 1, 0, "GET /b"), Span(4, 1, 0, "GET /b"));
        Assert.Equal(2, second.Length);
        Assert.All(second, s => Assert.Equal(3UL, s.TraceId.Low));
        Assert.Equal(0, stage.Sampler.HeldSpans);
        // The exporter counted trace 3's child as held and now as exported from this batch, and cannot
        // be told of trace 4's two drops (held cannot go negative): its books still balance.
        Assert.Equal(2, stage.HeldThenDroppedUnreported);
        Assert.Equal(8, _exported + _filtered + _held);
        Assert.Equal(_held, stage.HeldThenDroppedUnreported);

        // New held spans settle it: two of them are reported as filtered instead.
        Assert.Empty(Process(stage, Span(5, 2, 1, "db.get"), Span(5, 3, 1, "db.get"), Span(5, 4, 1, "db.get")));
        Assert.Equal(0, stage.HeldThenDroppedUnreported);
        Assert.Equal(3, _held);
        Assert.Equal(4, _filtered);

        // At shutdown everything held is released.
        SpanRecord[] last = Release(stage, final: true);
        Assert.Equal(3, last.Length);
        Assert.All(last, s => Assert.Equal(5UL, s.TraceId.Low));
        Assert.Equal(0, _held);
        Assert.Equal(11, _exported + _filtered);
        Assert.Equal(1, stage.Sampler.ExpiredTraces);
    }

    [Fact]
    public void More_kept_spans_than_the_batch_holds_leave_through_Release()
    {
        var stage = new TailSamplingStage(new TailSamplerSettings { Policies = TailPolicies.Error });
        for (ulong i = 0; i < 10; i++)
        {
            Process(stage, Span(7, 10 + i, 1, "step", error: i == 0));
        }
        SpanRecord[] withRoot = Process(stage, Span(7, 1, 0, "job"));
        Assert.Single(withRoot);
        SpanRecord[] rest = Release(stage, final: false);
        Assert.Equal(10, rest.Length);
        Assert.Equal(11, withRoot.Concat(rest).Select(s => s.SpanId).Distinct().Count());
        Assert.Equal(0, _held);
        Assert.Equal(11, _exported);
    }

    [Fact]
    public void The_stage_exists_only_when_tail_sampling_is_on()
    {
        Assert.Null(TailSamplingStage.FromSettings(SamplingSettings.Default));
        SamplingSettings on = SamplingSettings.Resolve(new SamplingOptions { Spec = "tail:error" }, _ => null);
        Assert.Equal(TailPolicies.Error, TailSamplingStage.FromSettings(on)!.Sampler.Settings.Policies);
    }
}
