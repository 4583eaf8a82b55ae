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
                long n = t * perThread + i;
                record.Clear();
                record.Name = "s" + n;
                record.SpanId = new SpanId((ulong)n + 1);
                record.SetAttribute("n", n);
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
}
