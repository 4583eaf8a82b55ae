using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

namespace OtelGen.Runtime.Tests.Export;

internal static class ExportTestKit
{
    /// <summary>
    /// Runs <paramref name="action"/> with exactly <paramref name="values"/> set among <paramref name="variables"/> (the
    /// others unset), then restores them all. Tracing is initialized first, so that its own start-up from the
    /// environment does not see the test's variables.
    /// </summary>
    public static T WithEnvironment<T>(IReadOnlyList<string> variables, Dictionary<string, string> values, Func<T> action)
    {
        _ = Tracing.Ring;
        var saved = variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (string variable in variables)
            {
                Environment.SetEnvironmentVariable(variable, values.GetValueOrDefault(variable));
            }
            return action();
        }
        finally
        {
            foreach (KeyValuePair<string, string?> pair in saved)
            {
                Environment.SetEnvironmentVariable(pair.Key, pair.Value);
            }
        }
    }

    private static readonly SpanDescriptor s_descriptor = new("op", ActivityKind.Client, new KeyValue[] { new("code.function.name", "Op"), new("db.system.name", "postgresql") });

    public static SpanRecord Span(long n)
    {
        var record = new SpanRecord
        {
            TraceId = new TraceId(0x0102030405060708, (ulong)n + 1),
            SpanId = new SpanId((ulong)n + 1),
            ParentSpanId = new SpanId(0xABCDEF),
            TraceFlags = 1,
            Descriptor = s_descriptor,
            Name = "span-" + n,
            Kind = ActivityKind.Client,
            StartUnixNano = 1_700_000_000_000_000_000 + n * 1000,
            EndUnixNano = 1_700_000_000_000_000_000 + n * 1000 + 500,
        };
        record.SetAttribute("n", n);
        record.SetAttribute("db.collection.name", "blog_post");
        return record;
    }

    public static SpanRing RingWith(int count, int capacity = 4096)
    {
        var ring = new SpanRing(capacity);
        Write(ring, 0, count);
        return ring;
    }

    public static void Write(SpanRing ring, int from, int count)
    {
        for (int i = from; i < from + count; i++)
        {
            ring.Write(Span(i));
        }
    }

    public static OtlpExporterOptions Options(Uri endpoint) => new()
    {
        Endpoint = endpoint,
        ScheduleDelay = TimeSpan.FromMilliseconds(20),
        Timeout = TimeSpan.FromSeconds(20),
        ExportTimeout = TimeSpan.FromSeconds(20),
        MaxExportBatchSize = 100,
        MaxQueueSize = 4096,
        Retry = new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200) },
        ServiceName = "export-tests",
        FlushOnProcessExit = false,
    };

    /// <summary>Span names in a protobuf request.</summary>
    public static List<string> SpanNames(byte[] body)
    {
        ProtoNode request = ProtoTree.Decode(body);
        return request.All(1).SelectMany(rs => rs.All(2)).SelectMany(ss => ss.All(2)).Select(span => span.One(5)!.Text).ToList();
    }

    public static List<string> ReceivedSpanNames(LoopbackCollector collector) => collector.Received.SelectMany(r => SpanNames(r.Body)).ToList();

    public static string UniqueTempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "otelgen-export-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Captures stderr (where Diagnostics.Warn writes) while <paramref name="action"/> runs.</summary>
    public static string CaptureStderr(Action action)
    {
        TextWriter original = Console.Error;
        var writer = new StringWriter();
        Console.SetError(TextWriter.Synchronized(writer));
        try
        {
            action();
        }
        finally
        {
            Console.SetError(original);
        }
        return writer.ToString();
    }

    /// <summary>Asserts the accounting identity for an exporter that is the only reader of its ring.</summary>
    public static void AssertAccounted(OtlpExporter exporter, long produced)
    {
        ExporterStatistics s = exporter.Statistics;
        Xunit.Assert.Equal(produced, s.Exported + s.Dropped + s.Held + s.Pending + (s.Spooled - s.Unspooled));
    }
}
