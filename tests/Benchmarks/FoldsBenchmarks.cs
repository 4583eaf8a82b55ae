using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using BenchmarkDotNet.Attributes;
using OtelGen.Export.Otlp;
using OtelGen.Folds;
using OtelGen.Metrics;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>
/// Folding 100,000 spans: 10,000 traces of 10 spans (a SERVER span with a db call, internal work, a
/// job with a promoted park) into the trace forest, then each output: the SVG waterfalls of every trace,
/// the route aggregates, and the live metrics path (span ends into the collector) with its two page
/// folds, Prometheus text and OTLP protobuf. Run: dotnet run -c Release --project tests/Benchmarks -- --filter '*FoldsBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class FoldsBenchmarks
{
    private const int Traces = 10_000;
    private const int SpansPerTrace = 10;
    private const long Ms = 1_000_000;

    private List<SpanRecord> _spans = null!;
    private List<SpanRecord> _servers = null!;
    private TraceForest _forest = null!;
    private MetricsCollector _collector = null!;
    private MetricsSnapshot _snapshot = null!;
    private OtlpMetricsEncoder _encoder = null!;
    private PooledBuffer _buffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        string[] routes = { "/posts/{id}", "/posts", "/users/{id}", "/search", "/health" };
        _spans = new List<SpanRecord>(Traces * SpansPerTrace);
        _servers = new List<SpanRecord>(Traces);
        long t0 = 1_700_000_000_000_000_000;
        ulong id = 1;
        for (int t = 0; t < Traces; t++)
        {
            var trace = new TraceId((ulong)t + 1, 0xfeed);
            long start = t0 + t * 5 * Ms;
            long length = (long)(Ms * (2 + 60 * random.NextDouble() * random.NextDouble()));
            string route = routes[t % routes.Length];
            ulong root = id++;
            SpanRecord server = Make(trace, root, 0, "GET " + route, ActivityKind.Server, start, start + length);
            server.SetAttribute("http.request.method", "GET");
            server.SetAttribute("http.route", route);
            server.SetAttribute("http.response.status_code", t % 50 == 0 ? 500L : 200L);
            if (t % 50 == 0)
            {
                server.StatusCode = SpanStatusCode.Error;
            }
            _servers.Add(server);
            _spans.Add(server);
            ulong load = id++;
            _spans.Add(Make(trace, load, root, "Service.Load", ActivityKind.Internal, start + length / 20, start + length / 2));
            for (int d = 0; d < 3; d++)
            {
                SpanRecord db = Make(trace, id++, load, "SELECT post", ActivityKind.Client, start + length / 20 + d * length / 8, start + length / 20 + (d + 1) * length / 8);
                db.SetAttribute("db.system.name", "postgresql");
                db.SetAttribute("db.operation.name", "SELECT");
                db.SetAttribute("db.collection.name", "post");
                _spans.Add(db);
            }
            _spans.Add(Make(trace, id++, root, "Render", ActivityKind.Internal, start + length / 2, start + length * 6 / 10));
            ulong job = id++;
            SpanRecord jobSpan = Make(trace, job, root, "ThumbnailJob", ActivityKind.Consumer, start + length * 6 / 10, start + length * 95 / 100);
            jobSpan.AddEvent("enqueued", jobSpan.StartUnixNano);
            jobSpan.AddEvent("completed", jobSpan.EndUnixNano);
            _spans.Add(jobSpan);
            _spans.Add(Make(trace, id++, job, "job.queue_wait", ActivityKind.Internal, jobSpan.StartUnixNano, jobSpan.StartUnixNano + length / 10));
            _spans.Add(Make(trace, id++, job, "job.park", ActivityKind.Internal, jobSpan.StartUnixNano + length / 10, jobSpan.StartUnixNano + length / 5));
            _spans.Add(Make(trace, id++, root, "cache.get", ActivityKind.Client, start + length * 96 / 100, start + length * 97 / 100));
        }
        _forest = TraceForest.Build(_spans);
        _collector = new MetricsCollector(MetricsCollectorOptions.OtelGenOnly());
        foreach (SpanRecord span in _spans)
        {
            RuntimeMetrics.OnSpanEnd(span);
        }
        _snapshot = _collector.Collect();
        _encoder = new OtlpMetricsEncoder(OtlpResource.Create("bench"));
        _buffer = new PooledBuffer(64 * 1024);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _collector.Dispose();
        _buffer.Dispose();
    }

    private static SpanRecord Make(TraceId trace, ulong id, ulong parent, string name, ActivityKind kind, long start, long end) => new()
    {
        TraceId = trace,
        SpanId = new SpanId(id),
        ParentSpanId = new SpanId(parent),
        TraceFlags = 1,
        Name = name,
        Kind = kind,
        StartUnixNano = start,
        EndUnixNano = end,
    };

    /// <summary>100,000 spans into 10,000 trace trees.</summary>
    [Benchmark]
    public int BuildForest() => TraceForest.Build(_spans).Traces.Count;

    /// <summary>An SVG waterfall of every trace (100,000 rects in all), written to a null writer.</summary>
    [Benchmark]
    public int SvgWaterfalls()
    {
        int count = 0;
        foreach (TraceTree trace in _forest.Traces)
        {
            SvgWaterfall.Render(trace, TextWriter.Null);
            count++;
        }
        return count;
    }

    /// <summary>Route count, errors and latency histograms over the forest.</summary>
    [Benchmark]
    public long RouteAggregatesFold() => RouteAggregates.Of(_forest).Get("/posts/{id}")!.Count;

    /// <summary>The live path: 100,000 span ends through Tracing's hook into the collector (4 of 10 spans measured).</summary>
    [Benchmark]
    public int LiveMetricsHook()
    {
        foreach (SpanRecord span in _spans)
        {
            RuntimeMetrics.OnSpanEnd(span);
        }
        return _spans.Count;
    }

    /// <summary>Collect the snapshot (copies every series and histogram).</summary>
    [Benchmark]
    public int CollectSnapshot() => _collector.Collect().Metrics.Count;

    /// <summary>The Prometheus page of the snapshot.</summary>
    [Benchmark]
    public int PrometheusPage() => PrometheusText.Write(_snapshot).Length;

    /// <summary>The OTLP protobuf request of the snapshot.</summary>
    [Benchmark]
    public int OtlpMetricsProtobuf()
    {
        _buffer.Clear();
        _encoder.EncodeProtobuf(_snapshot, _buffer);
        return _buffer.Length;
    }
}
