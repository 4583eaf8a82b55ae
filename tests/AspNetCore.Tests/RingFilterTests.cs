using System;
using System.Diagnostics;
using OtelGen.Folds;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>The dashboard's route numbers read only entry spans out of the ring, and still see every one.</summary>
public sealed class RingFilterTests
{
    [Fact]
    public void A_filtered_cursor_copies_only_wanted_spans_and_passes_over_the_rest()
    {
        var ring = new SpanRing(16);
        var cursor = new SpanRingCursor(ring);
        var span = new SpanRecord { TraceId = TraceId.NewRandom(), SpanId = SpanId.NewRandom() };
        for (int i = 0; i < 10; i++)
        {
            span.Kind = i % 5 == 0 ? ActivityKind.Server : ActivityKind.Internal;
            span.ParentSpanId = SpanId.NewRandom();
            span.Name = "span " + i;
            ring.Write(span);
        }
        var into = new SpanRecord[4];
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = new SpanRecord();
        }

        int count = cursor.Read(into, SpanClock.NowUnixNanos(), RouteAggregates.IsEntry);

        Assert.Equal(2, count);
        Assert.Equal("span 0", into[0].Name);
        Assert.Equal("span 5", into[1].Name);
        Assert.Equal(0, cursor.Pending);
        Assert.Equal(0, cursor.Lost);
        Assert.Equal(0, cursor.Read(into, SpanClock.NowUnixNanos(), RouteAggregates.IsEntry));
    }
}
