using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OtelGen.Sampling;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Sampling;

public sealed class TailSamplingEndToEndTests : IDisposable
{
    public void Dispose() => SamplingSettings.Reset();

    [Fact]
    public void Real_spans_under_head_0_and_tail_error_export_only_the_failing_trace()
    {
        SamplingSettings settings = SamplingSettings.Configure(new SamplingOptions { Spec = "head:0,tail:error" });
        var cursor = new SpanRingCursor(Tracing.Ring);
        // Skip what earlier tests left in the ring.
        var scratch = new SpanRecord[64];
        for (int i = 0; i < scratch.Length; i++)
        {
            scratch[i] = new SpanRecord();
        }
        while (cursor.Read(scratch, 0) > 0)
        {
        }

        TraceId failing;
        TraceId fine;
        using (var root = Tracing.StartSpan("POST /orders", ActivityKind.Server))
        {
            failing = root.Context.TraceId;
            using (Tracing.StartSpan("validate")) { }
            using (var db = Tracing.StartSpan("db.insert", ActivityKind.Client))
            {
                db.RecordException(new InvalidOperationException("duplicate key"));
            }
        }
        using (var root = Tracing.StartSpan("POST /orders", ActivityKind.Server))
        {
            fine = root.Context.TraceId;
            using (Tracing.StartSpan("validate")) { }
        }

        var exported = new List<SpanRecord>();
        var tail = new TailSampler(settings.Tail, span => exported.Add(span.Clone()));
        while (tail.OfferFrom(cursor, scratch, nowNanos: 0) > 0)
        {
        }

        Assert.Equal(new[] { "validate", "db.insert", "POST /orders" }, exported.Where(s => s.TraceId == failing).Select(s => s.Name));
        Assert.DoesNotContain(exported, s => s.TraceId == fine);
        // Exported, but the W3C flag still says what the head decided.
        Assert.All(exported.Where(s => s.TraceId == failing), s => Assert.False(s.IsSampled));
        Assert.Equal(1, tail.KeptForError);
        Assert.True(tail.DroppedTraces >= 1);
    }

    [Fact]
    public void Without_tail_sampling_an_unsampled_trace_never_reaches_the_ring()
    {
        SamplingSettings.Configure(new SamplingOptions { Spec = "head:0" });
        long written = Tracing.Ring.Written;
        using (var root = Tracing.StartSpan("GET /x", ActivityKind.Server))
        {
            Assert.False(root.IsRecording);
            using var child = Tracing.StartSpan("child");
            child.SetStatus(SpanStatusCode.Error, "lost: no tail stage asked to keep errors");
        }
        Assert.Equal(written, Tracing.Ring.Written);
    }
}
