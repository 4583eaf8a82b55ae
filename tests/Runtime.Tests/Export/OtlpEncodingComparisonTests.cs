using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;
using Xunit.Abstractions;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// Our protobuf against the OpenTelemetry .NET exporter's, for the same spans: both decoded with the
/// test's own decoder (<see cref="ProtoTree"/>) and compared field by field.
/// </summary>
public class OtlpEncodingComparisonTests
{
    private readonly ITestOutputHelper _output;

    public OtlpEncodingComparisonTests(ITestOutputHelper output) => _output = output;

    internal static List<Activity> MakeActivities(ActivitySource source)
    {
        var activities = new List<Activity>();
        var linkedTrace = ActivityTraceId.CreateRandom();
        var linkedSpan = ActivitySpanId.CreateRandom();
        var start = new DateTimeOffset(2026, 11, 22, 1, 2, 3, TimeSpan.Zero).AddTicks(1234567);

        var remoteParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, "vendor=abc,other=x y", isRemote: true);
        Activity root = source.StartActivity("GET /posts/{id}", ActivityKind.Server, remoteParent,
            links: new[]
            {
                new ActivityLink(new ActivityContext(linkedTrace, linkedSpan, ActivityTraceFlags.Recorded, "k=v"), new ActivityTagsCollection { ["link.s"] = "x", ["link.n"] = 7L }),
                new ActivityLink(new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, null, isRemote: true)),
            },
            startTime: start)!;
        root.SetTag("http.request.method", "GET");
        root.SetTag("s.unicode", "héllo wörld ✓ — 漢字");
        root.SetTag("s.empty", "");
        root.SetTag("s.long", new string('x', 300));
        root.SetTag("b.true", true);
        root.SetTag("b.false", false);
        root.SetTag("l.zero", 0L);
        root.SetTag("l.neg", -42L);
        root.SetTag("l.max", long.MaxValue);
        root.SetTag("d.pi", 3.141592653589793);
        root.SetTag("d.neg", -0.5);
        root.SetTag("a.s", new[] { "a", "", "ü" });
        root.SetTag("a.b", new[] { true, false });
        root.SetTag("a.l", new[] { 1L, -1L, long.MinValue });
        root.SetTag("a.d", new[] { 1.5, -2.25, 0.0 });
        root.AddEvent(new ActivityEvent("exception", start.AddMilliseconds(3), new ActivityTagsCollection
        {
            ["exception.type"] = "System.InvalidOperationException",
            ["exception.message"] = "boom",
            ["count"] = 3L,
        }));
        root.AddEvent(new ActivityEvent("no-attributes", start.AddMilliseconds(4)));
        root.SetStatus(ActivityStatusCode.Error, "it failed");

        Activity child = source.StartActivity("SELECT blog_post", ActivityKind.Client, root.Context, startTime: start.AddMilliseconds(1))!;
        child.SetTag("db.system.name", "postgresql");
        child.SetTag("db.response.returned_rows", 12L);
        child.SetStatus(ActivityStatusCode.Ok);
        child.SetEndTime(start.AddMilliseconds(2).UtcDateTime);
        child.Stop();
        activities.Add(child);

        Activity producer = source.StartActivity("publish", ActivityKind.Producer, root.Context, startTime: start.AddMilliseconds(2))!;
        producer.SetEndTime(start.AddMilliseconds(2.5).UtcDateTime);
        producer.Stop();
        activities.Add(producer);

        Activity consumer = source.StartActivity("process", ActivityKind.Consumer, new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None, null, isRemote: true), startTime: start)!;
        consumer.SetEndTime(start.AddMilliseconds(9).UtcDateTime);
        consumer.Stop();
        activities.Add(consumer);

        Activity.Current = null;
        Activity internalRoot = source.StartActivity("tick", ActivityKind.Internal, default(ActivityContext), startTime: start)!;
        internalRoot.SetEndTime(start.AddTicks(1).UtcDateTime);
        internalRoot.Stop();
        activities.Add(internalRoot);

        Activity.Current = root;
        root.SetEndTime(start.AddMilliseconds(5).UtcDateTime);
        root.Stop();
        activities.Add(root);
        return activities;
    }

    [Fact]
    public void Our_protobuf_matches_the_OpenTelemetry_exporter_field_by_field()
    {
        using var collector = new LoopbackCollector();
        var resourceAttributes = new List<KeyValue>
        {
            new("service.name", "compare-svc"),
            new("deployment.environment.name", "test"),
            new("host.cores", 2L),
            new("telemetry.sdk.name", "otelgen"),
            new("telemetry.sdk.language", "dotnet"),
            new("telemetry.sdk.version", OtlpResource.SdkVersion),
        };
        var captured = new List<Activity>();
        using var source = new ActivitySource(OtlpResource.ScopeName, OtlpResource.SdkVersion);
        using (TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(OtlpResource.ScopeName)
            .SetSampler(new AlwaysOnSampler())
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddAttributes(resourceAttributes.Select(kv => new KeyValuePair<string, object>(kv.Key, kv.Value.ToObject()!))))
            .AddProcessor(new CaptureProcessor(captured))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = collector.TracesUrl;
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.ExportProcessorType = ExportProcessorType.Batch;
                o.BatchExportProcessorOptions = new BatchExportActivityProcessorOptions { MaxExportBatchSize = 512, ScheduledDelayMilliseconds = 60_000 };
            })
            .Build()!)
        {
            MakeActivities(source);
            Assert.True(provider.ForceFlush(10_000));
        }
        Assert.True(LoopbackCollector.WaitUntil(() => collector.Received.Count >= 1, TimeSpan.FromSeconds(10)));
        Assert.Single(collector.Received);
        byte[] theirs = collector.Received.Single().Body;

        var records = captured.Select(ActivityConversion.ToRecord).ToArray();
        var encoder = new OtlpTraceEncoder(OtlpResource.Create("compare-svc", resourceAttributes.Skip(1)));
        using var buffer = new PooledBuffer();
        encoder.EncodeProtobuf(records, buffer);
        byte[] ours = buffer.WrittenSpan.ToArray();

        string expected = ProtoTree.Canonical(ProtoTree.Decode(theirs));
        string actual = ProtoTree.Canonical(ProtoTree.Decode(ours));
        _output.WriteLine(expected);
        Assert.Equal(expected, actual);

        // The comparison covered what it claims to: six-ish value types, events, links, statuses, kinds.
        ProtoNode request = ProtoTree.Decode(ours);
        var spans = request.One(1)!.One(2)!.All(2).ToList();
        Assert.Equal(5, spans.Count);
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5 }, spans.Select(s => s.One(6)?.Number ?? 0).OrderBy(k => k));
        Assert.Contains(spans, s => s.All(11).Count() == 2 && s.All(13).Count() == 2 && s.One(15)?.One(3)?.Number == 2);
    }

    private sealed class CaptureProcessor : BaseProcessor<Activity>
    {
        private readonly List<Activity> _captured;
        public CaptureProcessor(List<Activity> captured) => _captured = captured;
        public override void OnEnd(Activity data)
        {
            lock (_captured)
            {
                _captured.Add(data);
            }
        }
    }
}
