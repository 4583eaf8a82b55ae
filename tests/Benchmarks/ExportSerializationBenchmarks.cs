using System;
using System.Diagnostics;
using System.Linq;
using System.Linq.Expressions;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

namespace OtelGen.Benchmarks;

/// <summary>
/// Serializing one batch of 512 spans with 4 attributes into an OTLP ExportTraceServiceRequest: OtelGen's
/// writers (protobuf and JSON) beside the OpenTelemetry .NET exporter's own protobuf serializer (1.21.0,
/// called directly, so that no HTTP is measured on either side). Both sides turn the same 512 spans into the
/// bytes of one request with a resource, a scope and every span field; OpenTelemetry's also groups its
/// activities by source and reads their tags, as its exporter must. The "no site" row is OtelGen without
/// the generated descriptor: all four attributes set on the span, name and kind per span, nothing pre-encoded
/// but attribute keys.
/// Run: dotnet run -c Release --project tests/Benchmarks -- --filter '*ExportSerialization*' --job short
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class ExportSerializationBenchmarks
{
    private const int BatchSize = 512;

    private delegate int OpenTelemetryWrite(ref byte[] buffer, object limits, Resource resource, ref Batch<Activity> batch, ref int dirtyLength);

    private SpanRecord[] _records = Array.Empty<SpanRecord>();
    private SpanRecord[] _recordsWithoutSite = Array.Empty<SpanRecord>();
    private OtlpTraceEncoder _encoder = null!;
    private PooledBuffer _buffer = null!;
    private Activity[] _activities = Array.Empty<Activity>();
    private ActivitySource _source = null!;
    private ActivityListener _listener = null!;
    private OpenTelemetryWrite _openTelemetryWrite = null!;
    private object _limits = null!;
    private Resource _resource = null!;
    private byte[] _openTelemetryBuffer = new byte[750_000];
    // 1.21.0 added a `ref int dirtyLength` parameter to the serializer; kept across calls here.
    private int _openTelemetryDirtyLength;

    [GlobalSetup]
    public void Setup()
    {
        var descriptor = new SpanDescriptor("SELECT blog_post", ActivityKind.Client, new KeyValue[] { new("db.system.name", "postgresql"), new("db.operation.name", "SELECT") });
        _records = new SpanRecord[BatchSize];
        _recordsWithoutSite = new SpanRecord[BatchSize];
        _activities = new Activity[BatchSize];
        _source = new ActivitySource("OtelGen", "1.0.0");
        _listener = new ActivityListener { ShouldListenTo = _ => true, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(_listener);
        var start = DateTime.UtcNow;
        for (int i = 0; i < BatchSize; i++)
        {
            Activity activity = _source.StartActivity("SELECT blog_post", ActivityKind.Client, default(ActivityContext), startTime: start)!;
            activity.SetTag("db.system.name", "postgresql");
            activity.SetTag("db.operation.name", "SELECT");
            activity.SetTag("db.collection.name", "blog_post");
            activity.SetTag("db.response.returned_rows", (long)i);
            activity.SetEndTime(start.AddTicks(1000 + i));
            activity.Stop();
            Activity.Current = null;
            _activities[i] = activity;

            var record = new SpanRecord
            {
                TraceId = TraceId.FromActivityTraceId(activity.TraceId),
                SpanId = SpanId.FromActivitySpanId(activity.SpanId),
                TraceFlags = 1,
                Descriptor = descriptor,
                Name = descriptor.Name,
                Kind = ActivityKind.Client,
                StartUnixNano = (activity.StartTimeUtc.Ticks - DateTime.UnixEpoch.Ticks) * 100,
            };
            record.EndUnixNano = record.StartUnixNano + activity.Duration.Ticks * 100;
            record.SetAttribute("db.collection.name", "blog_post");
            record.SetAttribute("db.response.returned_rows", (long)i);
            _records[i] = record;

            var withoutSite = new SpanRecord
            {
                TraceId = record.TraceId,
                SpanId = record.SpanId,
                TraceFlags = 1,
                Name = "SELECT blog_post",
                Kind = ActivityKind.Client,
                StartUnixNano = record.StartUnixNano,
                EndUnixNano = record.EndUnixNano,
            };
            withoutSite.SetAttribute("db.system.name", "postgresql");
            withoutSite.SetAttribute("db.operation.name", "SELECT");
            withoutSite.SetAttribute("db.collection.name", "blog_post");
            withoutSite.SetAttribute("db.response.returned_rows", (long)i);
            _recordsWithoutSite[i] = withoutSite;
        }
        _encoder = new OtlpTraceEncoder(OtlpResource.Create("bench"));
        _buffer = new PooledBuffer(256 * 1024);

        _resource = ResourceBuilder.CreateDefault().AddService("bench").Build();
        Assembly exporter = typeof(OpenTelemetry.Exporter.OtlpTraceExporter).Assembly;
        Type serializer = exporter.GetType("OpenTelemetry.Exporter.OpenTelemetryProtocol.Implementation.Serializer.ProtobufOtlpTraceSerializer", throwOnError: true)!;
        Type limitsType = exporter.GetType("OpenTelemetry.Exporter.OpenTelemetryProtocol.Implementation.SdkLimitOptions", throwOnError: true)!;
        _limits = Activator.CreateInstance(limitsType, nonPublic: true)!;
        MethodInfo write = serializer.GetMethod("WriteTraceData", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!;
        ParameterExpression buffer = Expression.Parameter(typeof(byte[]).MakeByRefType(), "buffer");
        ParameterExpression limits = Expression.Parameter(typeof(object), "limits");
        ParameterExpression resource = Expression.Parameter(typeof(Resource), "resource");
        ParameterExpression batch = Expression.Parameter(typeof(Batch<Activity>).MakeByRefType(), "batch");
        ParameterExpression dirtyLength = Expression.Parameter(typeof(int).MakeByRefType(), "dirtyLength");
        // 1.21.0: WriteTraceData(ref byte[] buffer, int writePosition, SdkLimitOptions, Resource, ref Batch<Activity>, ref int dirtyLength, int maxBufferSize).
        _openTelemetryWrite = Expression.Lambda<OpenTelemetryWrite>(
            Expression.Call(write, buffer, Expression.Constant(0), Expression.Convert(limits, limitsType), resource, batch, dirtyLength, Expression.Constant(int.MaxValue)),
            buffer, limits, resource, batch, dirtyLength).Compile();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        _source.Dispose();
        _buffer.Dispose();
    }

    [Benchmark(Description = "OtelGen protobuf, 512 spans")]
    public int OtelGenProtobuf()
    {
        _buffer.Clear();
        _encoder.EncodeProtobuf(_records, _buffer);
        return _buffer.Length;
    }

    [Benchmark(Description = "OtelGen protobuf, 512 spans, no site")]
    public int OtelGenProtobufWithoutSite()
    {
        _buffer.Clear();
        _encoder.EncodeProtobuf(_recordsWithoutSite, _buffer);
        return _buffer.Length;
    }

    [Benchmark(Description = "OtelGen JSON, 512 spans")]
    public int OtelGenJson()
    {
        _buffer.Clear();
        _encoder.EncodeJson(_records, _buffer);
        return _buffer.Length;
    }

    [Benchmark(Baseline = true, Description = "OpenTelemetry 1.21.0 protobuf, 512 spans")]
    public int OpenTelemetryProtobuf()
    {
        var batch = new Batch<Activity>(_activities, _activities.Length);
        return _openTelemetryWrite(ref _openTelemetryBuffer, _limits, _resource, ref batch, ref _openTelemetryDirtyLength);
    }
}
