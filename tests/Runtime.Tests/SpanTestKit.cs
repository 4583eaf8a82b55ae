using System.Collections.Generic;
using System.Linq;
using OtelGen.Spans;

namespace OtelGen.Runtime.Tests;

/// <summary>Reads what the process-wide ring recorded, for tests (which run serially).</summary>
internal static class SpanTestKit
{
    public static List<SpanRecord> Trace(TraceId traceId) =>
        Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).OrderBy(s => s.StartUnixNano).ToList();

    public static SpanRecord Single(List<SpanRecord> spans, string name) => Xunit.Assert.Single(spans, s => s.Name == name);

    /// <summary>Makes <paramref name="record"/> span number <paramref name="n"/> (name <c>s{n}</c>, span id n + 1, attribute <c>n</c>), for ring tests that check what they read back.</summary>
    public static void Number(SpanRecord record, long n)
    {
        record.Clear();
        record.Name = "s" + n;
        record.SpanId = new SpanId((ulong)n + 1);
        record.SetAttribute("n", n);
    }
}
