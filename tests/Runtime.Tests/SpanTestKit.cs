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
}
