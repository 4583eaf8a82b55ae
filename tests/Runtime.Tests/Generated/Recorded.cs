using System.Collections.Generic;
using System.Linq;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Generated;

/// <summary>Reads what generated interceptors recorded: spans in the ring, selected by trace or by name.</summary>
internal static class Recorded
{
    public static List<SpanRecord> All() => Tracing.Ring.Snapshot();

    /// <summary>The spans of one trace, oldest end first.</summary>
    public static List<SpanRecord> InTrace(TraceId trace) => All().Where(s => s.TraceId.Equals(trace)).ToList();

    /// <summary>The one span named <paramref name="name"/> recorded since <paramref name="sinceWritten"/>.</summary>
    public static SpanRecord Single(string name, long sinceWritten)
    {
        List<SpanRecord> spans = Since(sinceWritten).Where(s => s.Name == name).ToList();
        Assert.True(spans.Count == 1, $"expected one span '{name}', found {spans.Count}");
        return spans[0];
    }

    /// <summary>The spans written after the ring's write count was <paramref name="sinceWritten"/>.</summary>
    public static List<SpanRecord> Since(long sinceWritten)
    {
        List<SpanRecord> all = All();
        long written = Tracing.Ring.Written;
        int count = (int)(written - sinceWritten);
        return all.Skip(System.Math.Max(0, all.Count - count)).ToList();
    }

    /// <summary>
    /// Waits (bounded) for the span named <paramref name="name"/>: an async span ends in a continuation of the
    /// task, which may run just after the test's own await resumes.
    /// </summary>
    public static SpanRecord Eventually(string name, long sinceWritten)
    {
        var deadline = System.DateTime.UtcNow.AddSeconds(10);
        while (System.DateTime.UtcNow < deadline)
        {
            if (Since(sinceWritten).Any(s => s.Name == name))
            {
                return Single(name, sinceWritten);
            }
            System.Threading.Thread.Sleep(1);
        }
        return Single(name, sinceWritten);
    }

    /// <summary>
    /// The spans named <paramref name="name"/> recorded since <paramref name="sinceWritten"/>, once there are
    /// <paramref name="count"/> of them, or after 10 s whatever there is, for the assertions to report.
    /// </summary>
    public static List<SpanRecord> Eventually(string name, long sinceWritten, int count)
    {
        var deadline = System.DateTime.UtcNow.AddSeconds(10);
        List<SpanRecord> spans = Since(sinceWritten).Where(s => s.Name == name).ToList();
        while (spans.Count < count && System.DateTime.UtcNow < deadline)
        {
            System.Threading.Thread.Sleep(10);
            spans = Since(sinceWritten).Where(s => s.Name == name).ToList();
        }
        return spans;
    }

    public static AttributeValue Attribute(SpanRecord span, string key)
    {
        Assert.True(span.TryGetAttribute(key, out AttributeValue value), $"span '{span.Name}' has no attribute '{key}'");
        return value;
    }

    public static bool Has(SpanRecord span, string key) => span.TryGetAttribute(key, out _);
}
