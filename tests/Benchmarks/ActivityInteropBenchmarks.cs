using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>An OpenTelemetry SDK exporter that accepts every batch: the SDK's processing without a network.</summary>
internal sealed class AcceptingExporter : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
}

/// <summary>
/// Issue #23's costs. Recording a library Activity (a database driver's command: kind, three tags, started and
/// stopped) by OtelGen (sampled by its head decision, copied into the ring when it stops, exported later) against
/// the OpenTelemetry SDK processing the same Activity (AlwaysOn sampler, the batch processor every exporter sits
/// behind, an exporter that accepts): the app-thread cost of each. Then the Activity that interop makes exist
/// where none would: HttpClient's propagation-only Activity, asked for only while an OtelGen span is current
/// (<see cref="PropagationActivityInsideSpan"/> against the span alone), and nothing outside spans.
/// </summary>
[MemoryDiagnoser]
public class ActivityInteropBenchmarks
{
    private const string SdkName = "OtelGen.Benchmarks.Interop.Sdk", OtelGenName = "OtelGen.Benchmarks.Interop.OtelGen";
    private static readonly ActivitySource SdkLibrary = new(SdkName);
    private static readonly ActivitySource OtelGenLibrary = new(OtelGenName);
    private static readonly ActivitySource HttpClientSource = new("System.Net.Http");
    private static readonly SpanDescriptor Outer = new("outer", ActivityKind.Internal);
    private TracerProvider? _sdk;

    [GlobalSetup]
    public void Setup()
    {
        _sdk = Sdk.CreateTracerProviderBuilder()
            .AddSource(SdkName)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(new AcceptingExporter(), maxQueueSize: 8192, scheduledDelayMilliseconds: 100, exporterTimeoutMilliseconds: 1000, maxExportBatchSize: 512))
            .Build();
        Tracing.RecordActivities(OtelGenName);
    }

    [GlobalCleanup]
    public void Cleanup() => _sdk?.Dispose();

    private static void Query(ActivitySource source)
    {
        using Activity? activity = source.StartActivity("SELECT blog_post", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system.name", "postgresql");
            activity.SetTag("db.collection.name", "blog_post");
            activity.SetTag("db.response.returned_rows", 1);
        }
    }

    [Benchmark(Baseline = true, Description = "OpenTelemetry SDK processes a library Activity")]
    public void SdkRecordsLibraryActivity() => Query(SdkLibrary);

    [Benchmark(Description = "OtelGen records a library Activity")]
    public void OtelGenRecordsLibraryActivity() => Query(OtelGenLibrary);

    [Benchmark(Description = "OtelGen span alone")]
    public void SpanAlone()
    {
        using SpanScope scope = SpanScope.Start(Outer);
    }

    [Benchmark(Description = "OtelGen span + library Activity recorded inside (reparented)")]
    public void OtelGenRecordsLibraryActivityInsideSpan()
    {
        using SpanScope scope = SpanScope.Start(Outer);
        Query(OtelGenLibrary);
    }

    [Benchmark(Description = "OtelGen span + HttpClient's propagation-only Activity (stand-in)")]
    public void PropagationActivityInsideSpan()
    {
        using SpanScope scope = SpanScope.Start(Outer);
        using Activity? activity = HttpClientSource.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client);
    }

    [Benchmark(Description = "HttpClient's source outside spans (no Activity)")]
    public Activity? PropagationActivityOutsideSpans() => HttpClientSource.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client);
}
