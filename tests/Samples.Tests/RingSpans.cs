using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using OtelGen;
using OtelGen.Spans;

namespace OtelGen.Samples.Tests;

/// <summary>Reads this process's finished spans from the ring.</summary>
internal static class RingSpans
{
    /// <summary>
    /// The spans of <paramref name="trace"/>, once <paramref name="complete"/> holds for them (async spans end
    /// on their task's continuation, a moment after the awaiting code resumes). Bounded: gives up after 10 s
    /// and returns what there is, for the assertions to report.
    /// </summary>
    public static List<SpanRecord> Of(TraceId trace, Func<List<SpanRecord>, bool> complete)
    {
        List<SpanRecord> spans = new();
        for (int i = 0; i < 500; i++)
        {
            spans = Tracing.Ring.Snapshot().Where(s => s.TraceId == trace).ToList();
            if (complete(spans))
            {
                break;
            }
            Thread.Sleep(20);
        }
        return spans;
    }

    public static string Describe(IEnumerable<SpanRecord> spans) => string.Join("\n", spans.Select(s => s.ToString()));

    public static AttributeValue Attribute(this SpanRecord span, string key) =>
        span.TryGetAttribute(key, out AttributeValue value) ? value : throw new Xunit.Sdk.XunitException($"span {span.Name} has no attribute {key}");
}
