using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using OtelGen.Export;
using OtelGen.Runtime.Tests.Export;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests;

/// <summary>The ring starts small and grows only while a holding-back reader (the exporter) falls behind.</summary>
public class RingGrowthTests
{
    private static SpanRecord Span(long n)
    {
        var record = new SpanRecord { Name = "s" + n, TraceId = new TraceId(1, (ulong)n + 1), SpanId = new SpanId((ulong)n + 1) };
        record.SetAttribute("n", n);
        return record;
    }

    private static void Write(SpanRing ring, long from, long count)
    {
        for (long n = from; n < from + count; n++)
        {
            ring.Write(Span(n));
        }
    }

    private static SpanRecord[] Batch(int size)
    {
        var batch = new SpanRecord[size];
        for (int i = 0; i < size; i++)
        {
            batch[i] = new SpanRecord();
        }
        return batch;
    }

    /// <summary>Reads everything the cursor can reach now, returning the span numbers in reading order.</summary>
    private static List<long> ReadAll(SpanRingCursor cursor)
    {
        var numbers = new List<long>();
        SpanRecord[] batch = Batch(50);
        int read;
        while ((read = cursor.Read(batch, 0)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                long n = batch[i].Attributes[0].Value.AsLong();
                Assert.Equal("s" + n, batch[i].Name);
                Assert.Equal((ulong)n + 1, batch[i].SpanId.Value);
                numbers.Add(n);
            }
        }
        return numbers;
    }

    [Fact]
    public void A_holding_back_reader_that_does_not_read_makes_the_ring_grow_and_loses_nothing()
    {
        var ring = new SpanRing(64, 4096);
        using var exporter = new SpanRingCursor(ring, holdsBack: true);
        Assert.Equal(64, ring.Capacity);
        Write(ring, 0, 3 * 64);
        // Grown at 48 (3/4 of 64, to 128) and at 145 (49 + 3/4 of 128, to 256).
        Assert.Equal(256, ring.Capacity);
        Assert.Equal(2, ring.Growths);
        Assert.Equal(3, ring.Geometries);
        Assert.Equal(0, ring.WriteCollisions);
        Assert.Equal(Enumerable.Range(0, 3 * 64).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(0, exporter.Lost);
        // Past the newest geometry's start: the older ones are dropped for the GC.
        Assert.Equal(1, ring.Geometries);
        // A plain cursor made now starts at the oldest span still held.
        Assert.Equal(Enumerable.Range(0, 3 * 64).Select(i => (long)i).Skip(146), ReadAll(new SpanRingCursor(ring)));
    }

    [Fact]
    public void Without_a_holding_back_reader_the_ring_keeps_its_size_and_overwrites()
    {
        var ring = new SpanRing(64, 4096);
        // A dashboard's cursor, idle: it must not make the ring grow.
        var dashboard = new SpanRingCursor(ring);
        Write(ring, 0, 3 * 64);
        Assert.Equal(64, ring.Capacity);
        Assert.Equal(0, ring.Growths);
        Assert.Equal(long.MaxValue, ring.GrowAt);
        Assert.Equal(Enumerable.Range(128, 64).Select(i => (long)i), ReadAll(dashboard));
        Assert.Equal(128, dashboard.Lost);
    }

    [Fact]
    public void Growth_stops_at_the_maximum_and_past_it_the_loss_is_counted()
    {
        var ring = new SpanRing(64, 256);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 2000);
        Assert.Equal(256, ring.Capacity);
        Assert.Equal(256, ring.MaxCapacity);
        Assert.Equal(long.MaxValue, ring.GrowAt);
        // Geometries: 64 slots for 0..48, 128 for 49..145, 256 from 146 on. The two older ones are frozen
        // and whole; the newest has kept its last 256 spans (1744..1999) and overwritten 146..1743.
        List<long> read = ReadAll(exporter);
        Assert.Equal(Enumerable.Range(0, 146).Concat(Enumerable.Range(1744, 256)).Select(i => (long)i), read);
        Assert.Equal(2000 - 146 - 256, exporter.Lost);
        Assert.Equal(0, ring.WriteCollisions);
    }

    [Fact]
    public void Snapshot_and_filtered_reads_see_every_geometry_of_a_grown_ring()
    {
        var ring = new SpanRing(64, 256);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 2000);
        // What the ring holds: 0..145 in the two older geometries, 1744..1999 in the newest.
        List<long> held = Enumerable.Range(0, 146).Concat(Enumerable.Range(1744, 256)).Select(i => (long)i).ToList();
        Assert.Equal(held, ring.Snapshot().Select(r => r.Attributes[0].Value.AsLong()));
        // A filtered reader passes over what it does not want, in every geometry.
        var dashboard = new SpanRingCursor(ring);
        SpanRecord[] batch = Batch(500);
        int read = dashboard.Read(batch, 0, r => r.Attributes[0].Value.AsLong() % 100 == 0);
        Assert.Equal(held.Where(n => n % 100 == 0), batch.Take(read).Select(r => r.Attributes[0].Value.AsLong()));
        Assert.Equal(2000 - held.Count, dashboard.Lost);
        Assert.Equal(0, exporter.Lost);
    }

    [Fact]
    public void A_fixed_ring_never_grows_even_with_a_holding_back_reader()
    {
        var ring = new SpanRing(64);
        Assert.Equal(64, ring.MaxCapacity);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 200);
        Assert.Equal(64, ring.Capacity);
        Assert.Equal(Enumerable.Range(136, 64).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(136, exporter.Lost);
    }

    [Theory]
    [InlineData(1 << 17)]
    [InlineData(1024)]
    public void Four_writers_and_a_slow_holding_back_reader_read_every_span_at_most_once_and_count_the_rest(int max)
    {
        const int writers = 4, perWriter = 20_000, total = writers * perWriter;
        // 1 << 17: the maximum holds everything, so even a reader that gets no CPU until the end loses
        // nothing. 1024: the ring stops growing; what it overwrites is counted, the rest read once, in order.
        var ring = new SpanRing(64, max);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        var seen = new int[total];
        var last = Enumerable.Repeat(-1L, writers).ToArray();
        int torn = 0, disorder = 0;
        int done = 0;
        var reader = new Thread(() =>
        {
            SpanRecord[] batch = Batch(16);
            // Reads nothing until the writers have made the ring grow (they must: nothing is read yet),
            // then reads slowly while they go on.
            while (ring.Growths == 0 && Volatile.Read(ref done) < writers)
            {
                Thread.Yield();
            }
            while (true)
            {
                bool finished = Volatile.Read(ref done) == writers;
                // A real clock and a give-up far beyond any descheduling: a span whose writer lost a collision is counted lost, not waited for forever.
                int read = exporter.Read(batch, (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency)), pendingGiveUpNanos: 5_000_000_000);
                for (int i = 0; i < read; i++)
                {
                    long n = batch[i].Attributes[0].Value.AsLong();
                    if (n < 0 || n >= total || batch[i].Name != "s" + n || batch[i].SpanId.Value != (ulong)n + 1)
                    {
                        torn++;
                        continue;
                    }
                    seen[n]++;
                    if (n <= last[n / perWriter])
                    {
                        disorder++;
                    }
                    last[n / perWriter] = n;
                }
                if (read == 0)
                {
                    if (finished && exporter.Pending == 0)
                    {
                        return;
                    }
                    Thread.Yield();
                }
            }
        }) { IsBackground = true };
        reader.Start();
        var threads = Enumerable.Range(0, writers).Select(t => new Thread(() =>
        {
            var record = new SpanRecord();
            for (int i = 0; i < perWriter; i++)
            {
                SpanTestKit.Number(record, t * perWriter + i);
                ring.Write(record);
            }
            Interlocked.Increment(ref done);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.True(reader.Join(TimeSpan.FromSeconds(60)), "the reader did not finish");
        Assert.Equal(0, torn);
        Assert.Equal(0, disorder);
        Assert.Equal(total, ring.Written);
        Assert.All(seen, count => Assert.InRange(count, 0, 1));
        if (max == 1 << 17)
        {
            Assert.Equal(0, exporter.Lost);
            Assert.Equal(0, ring.WriteCollisions);
            Assert.All(seen, count => Assert.Equal(1, count));
        }
        else
        {
            Assert.Equal(total, seen.Sum() + exporter.Lost);
        }
        // It grew (and, if the reader then kept close for four laps, may have shrunk back some).
        Assert.True(ring.Growths >= 1);
        Assert.InRange(ring.Capacity, 64, max);
    }

    [Fact]
    public void A_writer_that_claimed_its_number_before_a_growth_writes_into_the_older_geometry()
    {
        var ring = new SpanRing(8, 64);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 3);
        // A writer claims 3 and is delayed; meanwhile the ring grows and the grower fixes the new start (4).
        long late = ring.Claim();
        Assert.Equal(3, late);
        ring.GrowWithStartUnknown();
        Assert.Equal(4, ring.FixNewestStart());
        Write(ring, 4, 4);
        ring.WriteClaimed(late, Span(late));
        Assert.Equal(16, ring.Capacity);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(0, exporter.Lost);
    }

    [Fact]
    public void A_writer_that_meets_a_growth_whose_start_is_not_fixed_yet_fixes_it_and_writes_where_readers_look()
    {
        var ring = new SpanRing(8, 64);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 3);
        // The grower has published the new geometry but not yet fixed its start; a writer claims 3 after
        // the publication: it fixes the start itself (4, past its own number) and writes into the older geometry.
        ring.GrowWithStartUnknown();
        long seq = ring.Claim();
        ring.WriteClaimed(seq, Span(seq));
        // The grower's own fix comes too late and keeps the writer's start.
        Assert.Equal(4, ring.FixNewestStart());
        Write(ring, 4, 20);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(0, exporter.Lost);
        Assert.Equal(0, ring.WriteCollisions);
    }

    [Fact]
    public void A_reader_that_meets_a_growth_whose_start_is_not_fixed_yet_reads_the_older_spans()
    {
        var ring = new SpanRing(8, 64);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 5);
        ring.GrowWithStartUnknown();
        // The reader fixes the start (5): everything written so far stays in the older geometry.
        Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), ReadAll(exporter));
        Write(ring, 5, 10);
        Assert.Equal(Enumerable.Range(5, 10).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(5, ring.FixNewestStart());
        Assert.Equal(0, exporter.Lost);
    }

    [Fact]
    public void Releasing_the_holding_back_cursor_stops_growth_and_drops_the_older_geometries()
    {
        var ring = new SpanRing(64, 4096);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Assert.True(exporter.HoldsBack);
        Assert.Equal(1, ring.HoldingCursors);
        Assert.Equal(48, ring.GrowAt);
        Write(ring, 0, 100);
        Assert.Equal(128, ring.Capacity);
        Assert.Equal(2, ring.Geometries);
        exporter.Release();
        Assert.False(exporter.HoldsBack);
        Assert.Equal(0, ring.HoldingCursors);
        Assert.Equal(long.MaxValue, ring.GrowAt);
        Assert.Equal(1, ring.Geometries);
        Write(ring, 100, 5000);
        Assert.Equal(128, ring.Capacity);
        Assert.Equal(1, ring.Growths);
        // Released: it reads like any plain cursor, counting what was overwritten.
        Assert.Equal(Enumerable.Range(5100 - 128, 128).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(5100 - 128, exporter.Lost);
        exporter.Dispose();
        Assert.Equal(0, ring.HoldingCursors);
    }

    [Fact]
    public void The_lowest_of_several_holding_back_cursors_decides_growth()
    {
        var ring = new SpanRing(64, 4096);
        var fast = new SpanRingCursor(ring, holdsBack: true);
        var slow = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 40);
        Assert.Equal(40, ReadAll(fast).Count);
        // The slow cursor, still at 0, keeps the growth point at 48.
        Assert.Equal(48, ring.GrowAt);
        slow.Release();
        Assert.Equal(40 + 48, ring.GrowAt);
        fast.Release();
        Assert.Equal(long.MaxValue, ring.GrowAt);
    }

    [Fact]
    public void A_grown_ring_shrinks_back_to_its_initial_size_once_its_holder_stays_within_a_quarter_for_four_laps()
    {
        var ring = new SpanRing(64, 4096);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 200);
        Assert.Equal(256, ring.Capacity);
        var read = new List<long>(ReadAll(exporter));
        var capacities = new List<int> { ring.Capacity };
        SpanRecord[] batch = Batch(16);
        for (long n = 200; n < 3000; n += 16)
        {
            Write(ring, n, 16);
            int count = exporter.Read(batch, 0);
            read.AddRange(batch.Take(count).Select(r => r.Attributes[0].Value.AsLong()));
            if (ring.Capacity != capacities[^1])
            {
                capacities.Add(ring.Capacity);
            }
        }
        // Calm from 200 (the last read that left more than a quarter unread): halved at 200 + 4 x 256,
        // then again four laps of 128 later; never below the initial size.
        Assert.Equal(new[] { 256, 128, 64 }, capacities);
        Assert.Equal(2, ring.Shrinks);
        Assert.Equal(2, ring.Growths);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i), read);
        Assert.Equal(0, exporter.Lost);
        Assert.Equal(1, ring.Geometries);
        // And it grows again when the holder lags again.
        Write(ring, 3000, 100);
        Assert.Equal(128, ring.Capacity);
        Assert.Equal(Enumerable.Range(3000, 100).Select(i => (long)i), ReadAll(exporter));
        Assert.Equal(0, exporter.Lost);
    }

    [Fact]
    public void A_ring_whose_holder_keeps_lagging_more_than_a_quarter_does_not_shrink()
    {
        var ring = new SpanRing(64, 4096);
        var exporter = new SpanRingCursor(ring, holdsBack: true);
        Write(ring, 0, 200);
        Assert.Equal(256, ring.Capacity);
        Assert.Equal(100, exporter.Read(Batch(100), 0));
        SpanRecord[] batch = Batch(16);
        for (long n = 200; n < 5000; n += 16)
        {
            Write(ring, n, 16);
            // 16 read per 16 written: the holder stays 100 behind (more than a quarter, 64; less than the grow point's 192).
            Assert.Equal(16, exporter.Read(batch, 0));
        }
        Assert.Equal(256, ring.Capacity);
        Assert.Equal(0, ring.Shrinks);
        Assert.Equal(2, ring.Growths);
        Assert.Equal(0, exporter.Lost);
    }

    [Fact]
    public void Tracing_ring_starts_at_the_initial_capacity_and_may_grow_to_the_default_maximum()
    {
        Assert.Equal(4096, Tracing.InitialRingCapacity);
        Assert.Equal(32768, Tracing.DefaultRingCapacity);
        if (Environment.GetEnvironmentVariable("OTELGEN_RING_CAPACITY") is null)
        {
            Assert.Equal(Tracing.DefaultRingCapacity, Tracing.Ring.MaxCapacity);
            Assert.InRange(Tracing.Ring.Capacity, Tracing.InitialRingCapacity, Tracing.DefaultRingCapacity);
        }
    }

    [Fact]
    public void An_exporter_stalled_in_a_send_makes_the_ring_grow_loses_nothing_and_stops_holding_it_back_when_shut_down()
    {
        using var gate = new ManualResetEventSlim(false);
        using LoopbackCollector collector = CollectorStalledOnFirstSend(gate);
        var ring = new SpanRing(64, 4096);
        OtlpExporter exporter = ExporterInItsFirstSend(ring, collector);
        Assert.Equal(4096, exporter.Options.MaxQueueSize);
        Assert.Equal(1, ring.HoldingCursors);
        // The exporter is stuck in its first send: the burst must wait in the ring.
        ExportTestKit.Write(ring, 16, 1000);
        Assert.True(ring.Capacity >= 1024);
        gate.Set();
        Assert.True(exporter.ForceFlush(TimeSpan.FromSeconds(30)));
        Assert.True(exporter.Shutdown(TimeSpan.FromSeconds(30)));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(1016, s.Exported);
        Assert.Equal(0, s.Dropped);
        Assert.Equal(Enumerable.Range(0, 1016).Select(i => "span-" + i), ExportTestKit.ReceivedSpanNames(collector));
        // Stopped: its cursor no longer holds the ring back.
        Assert.Equal(0, ring.HoldingCursors);
        Assert.Equal(long.MaxValue, ring.GrowAt);
        int capacity = ring.Capacity;
        ExportTestKit.Write(ring, 1016, 10_000);
        Assert.Equal(capacity, ring.Capacity);
    }

    [Fact]
    public void With_the_queue_unset_an_exporter_drops_nothing_a_grown_ring_still_holds_even_past_its_maximum_capacity()
    {
        using var gate = new ManualResetEventSlim(false);
        using LoopbackCollector collector = CollectorStalledOnFirstSend(gate);
        var ring = new SpanRing(64, 256);
        OtlpExporter exporter = ExporterInItsFirstSend(ring, collector);
        Assert.Equal(256, exporter.Options.MaxQueueSize);
        // 284 spans wait behind the stalled send, more than the ring's maximum capacity (256): the older
        // geometries (64 and 128 slots) still hold the first ones, so none is dropped as queue_full.
        ExportTestKit.Write(ring, 16, 284);
        Assert.Equal(256, ring.Capacity);
        gate.Set();
        Assert.True(exporter.ForceFlush(TimeSpan.FromSeconds(30)));
        Assert.True(exporter.Shutdown(TimeSpan.FromSeconds(30)));
        ExporterStatistics s = exporter.Statistics;
        Assert.Equal(0, s.DroppedQueueFull);
        Assert.Equal(0, s.Dropped);
        Assert.Equal(300, s.Exported);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => "span-" + i), ExportTestKit.ReceivedSpanNames(collector));
    }

    /// <summary>A collector whose first request blocks (bounded) until <paramref name="gate"/> is set.</summary>
    private static LoopbackCollector CollectorStalledOnFirstSend(ManualResetEventSlim gate) => new(index =>
    {
        if (index == 0)
        {
            gate.Wait(TimeSpan.FromSeconds(30));
        }
        return new CollectorReply(200);
    });

    /// <summary>
    /// An exporter of 16-span batches with the queue unset, once its first batch (spans 0–15) has reached
    /// <paramref name="collector"/>: when that one stalls, later spans wait in the ring.
    /// </summary>
    private static OtlpExporter ExporterInItsFirstSend(SpanRing ring, LoopbackCollector collector)
    {
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        options.MaxQueueSize = 0;
        options.MaxExportBatchSize = 16;
        var exporter = new OtlpExporter(ring, options);
        ExportTestKit.Write(ring, 0, 16);
        Assert.True(LoopbackCollector.WaitUntil(() => collector.Requests >= 1, TimeSpan.FromSeconds(20)));
        return exporter;
    }
}
