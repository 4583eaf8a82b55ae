using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using OtelGen.Activities;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Activities;

/// <summary>The queue stopped library Activities wait in until a ring reader (or the thread pool) copies them.</summary>
public sealed class PendingActivitiesTests
{
    [Fact]
    public void Activities_come_out_in_order_and_a_full_queue_refuses_more()
    {
        var queue = new PendingActivities(4);
        var activities = Enumerable.Range(0, 5).Select(i => new Activity("a" + i)).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryAdd(activities[i], out long position));
            Assert.Equal(i, position);
        }
        Assert.False(queue.TryAdd(activities[4], out _));
        Assert.Equal(4, queue.Count);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryTake(out Activity? taken));
            Assert.Same(activities[i], taken);
        }
        Assert.False(queue.TryTake(out _));
        // A lap later, the freed slots take new Activities.
        Assert.True(queue.TryAdd(activities[4], out long again));
        Assert.Equal(4, again);
    }

    [Fact]
    public async Task Many_adders_and_takers_at_once_pass_every_Activity_exactly_once()
    {
        var queue = new PendingActivities(64);
        const int Producers = 4, PerProducer = 2000;
        var taken = new ConcurrentBag<Activity>();
        var all = Enumerable.Range(0, Producers * PerProducer).Select(i => new Activity("x")).ToArray();
        int produced = 0;
        Task[] producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                Activity activity = all[p * PerProducer + i];
                while (!queue.TryAdd(activity, out _))
                {
                    System.Threading.Thread.Yield();
                }
                System.Threading.Interlocked.Increment(ref produced);
            }
        })).ToArray();
        Task[] consumers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (System.Threading.Volatile.Read(ref produced) < Producers * PerProducer || queue.Count > 0)
            {
                if (queue.TryTake(out Activity? activity))
                {
                    taken.Add(activity!);
                }
                else
                {
                    System.Threading.Thread.Yield();
                }
            }
        })).ToArray();
        await Task.WhenAll(producers);
        await Task.WhenAll(consumers);
        Assert.Equal(all.Length, taken.Count);
        Assert.Equal(all.Length, taken.Distinct().Count());
    }

    [Fact]
    public void A_cursor_read_writes_the_waiting_Activities_first()
    {
        const string Source = "Test.Pending.Cursor";
        ActivitySourceSelection previous = ActivityRecorder.Selection;
        try
        {
            Tracing.RecordActivities(Source);
            using var source = new ActivitySource(Source);
            using var cursor = new SpanRingCursor(Tracing.Ring);
            string id;
            using (Activity activity = source.StartActivity("waiting")!)
            {
                id = activity.SpanId.ToHexString();
            }
            var into = new SpanRecord[64];
            for (int i = 0; i < into.Length; i++)
            {
                into[i] = new SpanRecord();
            }
            var seen = new List<string>();
            int read;
            while ((read = cursor.Read(into, SpanClock.NowUnixNanos())) > 0)
            {
                seen.AddRange(into.Take(read).Select(s => s.SpanId.ToHexString()));
            }
            Assert.Contains(id, seen);
        }
        finally
        {
            ActivityRecorder.Listen(previous);
        }
    }
}
