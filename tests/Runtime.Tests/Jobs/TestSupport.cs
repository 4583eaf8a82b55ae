using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Jobs;

/// <summary>Controlled time for span tests: the process clock reads <see cref="Now"/> until disposed.</summary>
internal sealed class ManualClock : IDisposable
{
    public const long Origin = 1_700_000_000_000_000_000;

    public long Now = Origin;

    public ManualClock() => SpanClock.UseManualClock(() => Now);

    public void Advance(double ms) => Now += (long)Math.Round(ms * 1_000_000);

    public void Dispose() => SpanClock.UseManualClock(null);
}

/// <summary>A finished trace read back from the ring, as a tree.</summary>
internal sealed class TraceTree
{
    public sealed class Node
    {
        public required SpanRecord Span;
        public readonly List<Node> Children = new();
        public Node? Parent;

        public string Name => Span.Name;

        public Node Child(string name) => Children.Single(c => c.Name == name);

        public IEnumerable<Node> Descendants() => Children.SelectMany(c => new[] { c }.Concat(c.Descendants()));

        public AttributeValue Attr(string key)
        {
            Assert.True(Span.TryGetAttribute(key, out AttributeValue value), $"{Name} has no attribute {key}");
            return value;
        }

        public bool HasAttr(string key) => Span.TryGetAttribute(key, out _);

        public IEnumerable<(string Name, long Time, KeyValue[] Attributes)> Events() =>
            Enumerable.Range(0, Span.EventCount).Select(i => Span.Events[i]).Select(e => (e.Name, e.TimeUnixNano, Span.NestedRange(e.AttributeStart, e.AttributeCount).ToArray()));

        public long EventTime(string name) => Events().Single(e => e.Name == name).Time;
    }

    public required Node Root;

    public List<Node> All => new[] { Root }.Concat(Root.Descendants()).ToList();

    public static TraceTree Read(TraceId traceId)
    {
        List<SpanRecord> spans = Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).ToList();
        var nodes = spans.ToDictionary(s => s.SpanId, s => new Node { Span = s });
        Node? root = null;
        foreach (Node node in nodes.Values)
        {
            if (nodes.TryGetValue(node.Span.ParentSpanId, out Node? parent))
            {
                node.Parent = parent;
                parent.Children.Add(node);
            }
            else
            {
                Assert.True(root is null, "the trace has more than one root");
                root = node;
            }
        }
        Assert.NotNull(root);
        foreach (Node node in nodes.Values)
        {
            node.Children.Sort((a, b) => a.Span.StartUnixNano != b.Span.StartUnixNano
                ? a.Span.StartUnixNano.CompareTo(b.Span.StartUnixNano)
                : string.CompareOrdinal(a.Name, b.Name));
        }
        return new TraceTree { Root = root! };
    }

    /// <summary>
    /// The golden form: one line per span (name, kind, status, start and end in ms from the root's
    /// start), then its attributes in order, then its events (time and attributes). Ids are left out.
    /// </summary>
    public string Render()
    {
        var text = new StringBuilder();
        Render(Root, 0, text);
        return text.ToString();
    }

    private void Render(Node node, int depth, StringBuilder text)
    {
        string indent = new(' ', depth * 2);
        SpanRecord s = node.Span;
        text.Append(indent).Append(s.Name).Append(" [").Append(s.Kind).Append(' ').Append(s.StatusCode).Append("] ")
            .Append(Ms(s.StartUnixNano)).Append("..").Append(Ms(s.EndUnixNano)).Append('\n');
        for (int i = 0; i < s.TotalAttributeCount; i++)
        {
            KeyValue kv = s.AttributeAt(i);
            text.Append(indent).Append("  @").Append(kv.Key).Append('=').Append(Value(kv.Value)).Append('\n');
        }
        for (int i = 0; i < s.EventCount; i++)
        {
            SpanEvent e = s.Events[i];
            text.Append(indent).Append("  ! ").Append(Ms(e.TimeUnixNano)).Append(' ').Append(e.Name);
            foreach (KeyValue kv in s.NestedRange(e.AttributeStart, e.AttributeCount))
            {
                if (kv.Key == "exception.stacktrace")
                {
                    continue;
                }
                text.Append(' ').Append(kv.Key).Append('=').Append(Value(kv.Value));
            }
            text.Append('\n');
        }
        foreach (Node child in node.Children)
        {
            Render(child, depth + 1, text);
        }
    }

    private string Ms(long nanos) => ((nanos - Root.Span.StartUnixNano) / 1e6).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Value(AttributeValue value) => value.Type switch
    {
        AttributeType.Double => value.AsDouble().ToString("0.###", CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>
    /// Checks every job span's derived attributes against its lifecycle event timestamps, wherever the
    /// events ended up (on the span or on promoted job.queue_wait / job.park children).
    /// </summary>
    public void AssertDerivedDurationsConsistent()
    {
        int checkedJobs = 0;
        foreach (Node job in All.Where(n => n.HasAttr("job.queue_wait_ms")))
        {
            checkedJobs++;
            var events = job.Events().Concat(job.Children.Where(c => c.Name is "job.queue_wait" or "job.park").SelectMany(c => c.Events()))
                .OrderBy(e => e.Time).ToList();
            long Time(string name) => events.Single(e => e.Name == name).Time;
            double Ms(long nanos) => nanos / 1e6;
            long enqueued = Time("job.enqueued"), taken = Time("job.taken"), started = Time("job.started"), completed = Time("job.completed");
            var parked = events.Where(e => e.Name == "job.parked").Select(e => e.Time).ToList();
            var resumed = events.Where(e => e.Name == "job.resumed").Select(e => e.Time).ToList();
            Assert.Equal(parked.Count, resumed.Count);
            long parkTotal = parked.Zip(resumed, (p, r) => r - p).Sum();
            Assert.All(parked.Zip(resumed), pair => Assert.True(pair.First <= pair.Second));
            Assert.Equal(Ms(taken - enqueued), job.Attr("job.queue_wait_ms").AsDouble(), 9);
            Assert.Equal(Ms(started - taken), job.Attr("job.dispatch_ms").AsDouble(), 9);
            Assert.Equal(Ms(parkTotal), job.Attr("job.park_wait_ms_total").AsDouble(), 9);
            Assert.Equal(Ms(completed - started - parkTotal), job.Attr("job.run_active_ms").AsDouble(), 9);
            Assert.Equal(parked.Count, job.Attr("job.park_count").AsLong());
            // The job's span covers its whole life; promoted children sit inside it and match their events.
            Assert.Equal(enqueued, job.Span.StartUnixNano);
            Assert.True(job.Span.EndUnixNano >= completed);
            foreach (Node promoted in job.Children.Where(c => c.Name is "job.queue_wait" or "job.park"))
            {
                Assert.True(promoted.Span.StartUnixNano >= job.Span.StartUnixNano && promoted.Span.EndUnixNano <= job.Span.EndUnixNano);
                var inside = promoted.Events().ToList();
                Assert.Equal(promoted.Span.StartUnixNano, inside.First().Time);
                Assert.Equal(promoted.Span.EndUnixNano, inside.Last().Time);
            }
            // Events stay in time order on every span.
            var own = job.Events().Select(e => e.Time).ToList();
            Assert.Equal(own.OrderBy(t => t), own);
        }
        Assert.True(checkedJobs > 0, "no job spans in the trace");
    }
}
