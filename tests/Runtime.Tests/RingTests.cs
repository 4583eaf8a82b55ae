using System;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests;

public class RingTests
{
    private static SpanRecord Span(long n)
    {
        var record = new SpanRecord { Name = "s" + n, TraceId = new TraceId(1, (ulong)n + 1), SpanId = new SpanId((ulong)n + 1) };
        record.SetAttribute("n", n);
        return record;
    }

    [Fact]
    public void Full_ring_overwrites_the_oldest_and_the_cursor_counts_them_lost()
    {
        var ring = new SpanRing(4);
        var cursor = new SpanRingCursor(ring);
        for (int i = 0; i < 10; i++)
        {
            ring.Write(Span(i));
        }
        var into = new SpanRecord[8];
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = new SpanRecord();
        }
        int read = cursor.Read(into, 0);
        Assert.Equal(4, read);
        Assert.Equal(6, cursor.Lost);
        Assert.Equal(new[] { "s6", "s7", "s8", "s9" }, new[] { into[0].Name, into[1].Name, into[2].Name, into[3].Name });
    }

    [Fact]
    public void Concurrent_writers_below_capacity_lose_nothing_and_never_tear_a_record()
    {
        const int threads = 4, perThread = 5000;
        var ring = new SpanRing(threads * perThread);
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var record = new SpanRecord();
            for (int i = 0; i < perThread; i++)
            {
                SpanTestKit.Number(record, t * perThread + i);
                ring.Write(record);
            }
        });
        var all = ring.Snapshot();
        Assert.Equal(threads * perThread, all.Count);
        Assert.Equal(0, ring.WriteCollisions);
        var seen = new bool[threads * perThread];
        foreach (SpanRecord r in all)
        {
            long n = r.Attributes[0].Value.AsLong();
            Assert.Equal("s" + n, r.Name);
            Assert.Equal((ulong)n + 1, r.SpanId.Value);
            Assert.False(seen[n]);
            seen[n] = true;
        }
    }

    [Fact]
    public void A_key_equal_to_an_earlier_one_replaces_it_and_the_ring_copy_keeps_every_attribute_and_event()
    {
        var record = new SpanRecord { Name = "s" };
        record.SetAttribute("http.route", "/a");
        record.SetAttribute("url.path", "/a/1");
        // The same key as a string made at run time (another reference), and a different key of the same length.
        record.SetAttribute(string.Concat("http.", "route"), "/b");
        record.SetAttribute("url.full", "http://x/a/1");
        for (int i = 0; i < 6; i++)
        {
            // Past the first growth of the events' and nested attributes' arrays.
            record.AddEvent("e" + i, i, new KeyValue[] { new("i", i), new("name", "e" + i) });
        }
        var ring = new SpanRing(4);
        ring.Write(record);
        SpanRecord copy = Assert.Single(ring.Snapshot());

        Assert.Equal(3, copy.AttributeCount);
        Assert.True(copy.TryGetAttribute("http.route", out AttributeValue route));
        Assert.Equal("/b", route.AsString());
        Assert.True(copy.TryGetAttribute(string.Concat("url.", "path"), out AttributeValue path));
        Assert.Equal("/a/1", path.AsString());
        Assert.True(copy.TryGetAttribute("url.full", out AttributeValue full));
        Assert.Equal("http://x/a/1", full.AsString());
        Assert.False(copy.TryGetAttribute("url.fulx", out _));
        Assert.Equal(6, copy.EventCount);
        for (int i = 0; i < 6; i++)
        {
            SpanEvent e = copy.Events[i];
            Assert.Equal("e" + i, e.Name);
            ReadOnlySpan<KeyValue> nested = copy.NestedRange(e.AttributeStart, e.AttributeCount);
            Assert.Equal(2, nested.Length);
            Assert.Equal(i, nested[0].Value.AsLong());
            Assert.Equal("e" + i, nested[1].Value.AsString());
        }
    }

    [Fact]
    public async Task A_reader_racing_writers_that_lap_the_ring_never_gets_a_torn_record()
    {
        // A small ring and long records, so that writers lap it and overwrite slots while a reader copies
        // them: the version check must discard every copy a writer overwrote underneath.
        const int writers = 3, perWriter = 20000, attributes = 64;
        var keys = new string[attributes];
        for (int k = 0; k < attributes; k++)
        {
            keys[k] = "a" + k;
        }
        var ring = new SpanRing(4);
        using var cursor = new SpanRingCursor(ring);
        int done = 0;
        long checkedSpans = 0;
        Task reader = Task.Run(() =>
        {
            var into = new SpanRecord[8];
            for (int i = 0; i < into.Length; i++)
            {
                into[i] = new SpanRecord();
            }
            while (true)
            {
                bool last = Volatile.Read(ref done) == writers;
                int read = cursor.Read(into, 0, pendingGiveUpNanos: 0);
                for (int i = 0; i < read; i++)
                {
                    SpanRecord r = into[i];
                    long n = r.EndUnixNano;
                    Assert.Equal(attributes + 1, r.AttributeCount);
                    Assert.Equal("s" + n, r.Name);
                    Assert.Equal((ulong)n + 1, r.SpanId.Value);
                    for (int k = 0; k <= attributes; k++)
                    {
                        Assert.Equal(n, r.Attributes[k].Value.AsLong());
                    }
                    checkedSpans++;
                }
                if (last && cursor.Pending == 0)
                {
                    return;
                }
            }
        });
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, t =>
        {
            var record = new SpanRecord();
            for (int i = 0; i < perWriter; i++)
            {
                long n = t * perWriter + i;
                SpanTestKit.Number(record, n);
                record.EndUnixNano = n;
                foreach (string key in keys)
                {
                    record.SetAttribute(key, n);
                }
                ring.Write(record);
            }
            Interlocked.Increment(ref done);
        });
        await reader;
        Assert.Equal(writers * perWriter, ring.Written);
        Assert.True(checkedSpans > 0);
        // Every span was either read whole or counted lost (overwritten before the reader got there, or
        // dropped by a writer that met a slot still being written a lap behind).
        Assert.Equal(writers * perWriter, checkedSpans + cursor.Lost);
    }
}
