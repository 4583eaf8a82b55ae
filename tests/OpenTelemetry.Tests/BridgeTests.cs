using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using OtelGen.Context;
using OtelGen.Export;
using OtelGen.Spans;
using SpanContext = OtelGen.Context.SpanContext;
using Xunit;

namespace OtelGen.OpenTelemetry.Tests;

/// <summary>A [Traced] method in this project: the generator intercepts its call sites here, as in a user's code.</summary>
public static class TracedWork
{
    [Traced("bridge.traced", Kind = ActivityKind.Producer)]
    public static int Square(int x) => x * x;
}

/// <summary>Where the SDK's processors see each Activity end: the thread, by name and id.</summary>
internal sealed class ThreadRecordingProcessor : BaseProcessor<Activity>
{
    internal readonly ConcurrentDictionary<string, (int Id, string? Name)> EndedOn = new();

    public override void OnEnd(Activity data) => EndedOn[data.SpanId.ToHexString()] = (Environment.CurrentManagedThreadId, Thread.CurrentThread.Name);
}

/// <summary>A sampler that remembers what it was asked and drops the spans named <c>*.drop</c>.</summary>
internal sealed class RecordingSampler : Sampler
{
    internal readonly ConcurrentDictionary<string, SamplingParameters> Asked = new();

    public override SamplingResult ShouldSample(in SamplingParameters parameters)
    {
        Asked[parameters.Name] = parameters;
        return new SamplingResult(parameters.Name.EndsWith(".drop", StringComparison.Ordinal) ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
    }
}

/// <summary>
/// <c>AddOtelGen()</c> hands OtelGen's spans to the SDK: same ids, parents, names, kinds, attributes, events, links,
/// status and times; converted on the bridge thread; everything recorded before ForceFlush/Dispose goes through whatever
/// the processor order; one Activity per span however many providers; OtelGen's own OTLP export stops.
/// </summary>
public sealed class BridgeTests
{
    public BridgeTests()
    {
        EnvironmentExport.EnsureControl();
    }

    private static List<Activity> OfTrace(ExportedActivities exported, TraceId traceId) =>
        exported.Snapshot().Where(a => a.TraceId.ToHexString() == traceId.ToHexString()).ToList();

    private static List<SpanRecord> Recorded(TraceId traceId) => Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).ToList();

    [Fact]
    public async Task Spans_reach_the_SDK_with_their_ids_parents_names_kinds_attributes_events_links_status_and_times()
    {
        var exported = new ExportedActivities();
        var threads = new ThreadRecordingProcessor();
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddOtelGen()
            .AddProcessor(threads)
            .AddInMemoryExporter(exported)
            .Build()!;

        var linked = new SpanContext(TraceId.NewRandom(), SpanId.NewRandom(), 1, "vendor=x", isRemote: true);
        var recordingThreads = new HashSet<int>();
        TraceId traceId;
        using (AsyncSpanScope outer = Tracing.StartAsyncSpan("bridge.outer", ActivityKind.Server))
        {
            traceId = outer.Context.TraceId;
            recordingThreads.Add(Environment.CurrentManagedThreadId);
            outer.SetAttribute("a.string", "text");
            outer.SetAttribute("a.long", 42L);
            outer.SetAttribute("a.double", 2.5);
            outer.SetAttribute("a.bool", true);
            outer.Span.SetAttribute("a.strings", new[] { "x", "y" });
            outer.Span.SetAttribute("a.longs", new[] { 1L, 2L });
            outer.Span.SetAttribute("a.doubles", new[] { 0.5, 1.5 });
            outer.Span.SetAttribute("a.bools", new[] { true, false });
            outer.Span.AddEvent("checkpoint", new[] { new KeyValue("step", 7L), new KeyValue("label", "seven") });
            outer.Span.AddLink(linked, new[] { new KeyValue("link.kind", "follows") });
            outer.Span.SetStatus(SpanStatusCode.Error, "it broke");
            using (SpanScope inner = Tracing.StartSpan("bridge.inner", ActivityKind.Client))
            {
                recordingThreads.Add(Environment.CurrentManagedThreadId);
                inner.SetStatus(SpanStatusCode.Ok);
            }
            await Task.Yield();
            recordingThreads.Add(Environment.CurrentManagedThreadId);
            Assert.Equal(9, TracedWork.Square(3));
        }
        Assert.True(provider.ForceFlush(10_000));

        List<SpanRecord> recorded = Recorded(traceId);
        Assert.Equal(new[] { "bridge.inner", "bridge.outer", "bridge.traced" }, recorded.Select(s => s.Name).OrderBy(n => n, StringComparer.Ordinal));
        List<Activity> ours = OfTrace(exported, traceId);
        Assert.Equal(recorded.Count, ours.Count);
        SpanBridge bridge = SpanBridge.Running!;
        foreach (SpanRecord span in recorded)
        {
            Activity activity = Assert.Single(ours, a => a.SpanId.ToHexString() == span.SpanId.ToHexString());
            Assert.Equal("OtelGen", activity.Source.Name);
            Assert.Equal(span.Name, activity.DisplayName);
            Assert.Equal(Hex.Of(span.ParentSpanId), Hex.ParentOf(activity));
            Assert.Equal(span.ParentIsRemote, activity.HasRemoteParent);
            Assert.Equal(span.Kind, activity.Kind);
            Assert.True(activity.Recorded);
            Assert.Equal(SpanConversion.UtcOf(span.StartUnixNano), activity.StartTimeUtc);
            Assert.Equal(SpanConversion.UtcOf(span.EndUnixNano), activity.StartTimeUtc + activity.Duration);
            // Attributes, the descriptor's constant ones (code.*) included, with their types.
            Assert.Equal(span.TotalAttributeCount, activity.TagObjects.Count());
            for (int i = 0; i < span.TotalAttributeCount; i++)
            {
                KeyValue attribute = span.AttributeAt(i);
                Assert.Equal(SpanConversion.ToObject(attribute.Value), activity.GetTagItem(attribute.Key));
            }
            // Converted on the bridge thread, none of the threads that recorded the spans.
            (int threadId, string? threadName) = threads.EndedOn[span.SpanId.ToHexString()];
            Assert.Equal(SpanBridge.ThreadName, threadName);
            Assert.Equal(bridge.ThreadId, threadId);
            Assert.DoesNotContain(threadId, recordingThreads);
        }

        Activity outerActivity = ours.Single(a => a.DisplayName == "bridge.outer");
        Activity innerActivity = ours.Single(a => a.DisplayName == "bridge.inner");
        Activity tracedActivity = ours.Single(a => a.DisplayName == "bridge.traced");
        Assert.Equal(ActivityKind.Server, outerActivity.Kind);
        Assert.Equal(ActivityKind.Client, innerActivity.Kind);
        Assert.Equal(ActivityKind.Producer, tracedActivity.Kind);
        Assert.Equal(outerActivity.SpanId, innerActivity.ParentSpanId);
        Assert.Equal(outerActivity.SpanId, tracedActivity.ParentSpanId);
        Assert.Equal("text", outerActivity.GetTagItem("a.string"));
        Assert.Equal(42L, outerActivity.GetTagItem("a.long"));
        Assert.Equal(2.5, outerActivity.GetTagItem("a.double"));
        Assert.Equal(true, outerActivity.GetTagItem("a.bool"));
        Assert.Equal(new[] { "x", "y" }, (string[])outerActivity.GetTagItem("a.strings")!);
        Assert.Equal(new[] { 1L, 2L }, (long[])outerActivity.GetTagItem("a.longs")!);
        Assert.Equal(new[] { 0.5, 1.5 }, (double[])outerActivity.GetTagItem("a.doubles")!);
        Assert.Equal(new[] { true, false }, (bool[])outerActivity.GetTagItem("a.bools")!);
        Assert.Equal(ActivityStatusCode.Error, outerActivity.Status);
        Assert.Equal("it broke", outerActivity.StatusDescription);
        Assert.Equal(ActivityStatusCode.Ok, innerActivity.Status);
        Assert.Equal(ActivityStatusCode.Unset, tracedActivity.Status);

        SpanRecord outerSpan = recorded.Single(s => s.Name == "bridge.outer");
        ActivityEvent checkpoint = Assert.Single(outerActivity.Events);
        Assert.Equal("checkpoint", checkpoint.Name);
        Assert.Equal(SpanConversion.UtcOf(outerSpan.Events[0].TimeUnixNano), checkpoint.Timestamp.UtcDateTime);
        Assert.Equal(new Dictionary<string, object?> { ["step"] = 7L, ["label"] = "seven" }, checkpoint.Tags.ToDictionary(t => t.Key, t => t.Value));
        ActivityLink link = Assert.Single(outerActivity.Links);
        Assert.Equal(linked.TraceId.ToHexString(), link.Context.TraceId.ToHexString());
        Assert.Equal(linked.SpanId.ToHexString(), link.Context.SpanId.ToHexString());
        Assert.Equal("vendor=x", link.Context.TraceState);
        // As OtelGen recorded it (SpanHandle.AddLink does not keep the linked context's IsRemote: false here).
        Assert.Equal(outerSpan.Links[0].IsRemote, link.Context.IsRemote);
        Assert.Equal("follows", Assert.Single(link.Tags!).Value);
    }

    [Fact]
    public void A_span_continuing_a_remote_parent_keeps_that_parent_and_its_tracestate()
    {
        var exported = new ExportedActivities();
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder().AddOtelGen().AddInMemoryExporter(exported).Build()!;
        TraceId traceId = TraceId.NewRandom();
        SpanId remote = SpanId.NewRandom();
        using (TraceContext.Continue("00-" + traceId.ToHexString() + "-" + remote.ToHexString() + "-01", "congo=t61rcWkgMzE"))
        using (SpanScope span = Tracing.StartSpan("bridge.remote.child"))
        {
        }
        Assert.True(provider.ForceFlush(10_000));
        Activity activity = Assert.Single(OfTrace(exported, traceId));
        Assert.Equal(remote.ToHexString(), Hex.ParentOf(activity));
        Assert.True(activity.HasRemoteParent);
        Assert.Equal("congo=t61rcWkgMzE", activity.TraceStateString);
    }

    [Fact]
    public void ForceFlush_hands_over_every_span_recorded_before_it_even_when_the_exporter_comes_first()
    {
        var exported = new ExportedActivities();
        // The exporter's processor is added before AddOtelGen(), so the SDK flushes it first; its own schedule (10 min)
        // never sends anything during the test.
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddProcessor(new BatchActivityExportProcessor(new InMemoryExporter<Activity>(exported), maxQueueSize: 8192, scheduledDelayMilliseconds: 600_000))
            .AddOtelGen()
            .Build()!;
        TraceId traceId = RecordTrace("flush", 300);
        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(300, OfTrace(exported, traceId).Count);
    }

    [Fact]
    public void Dispose_hands_over_every_span_recorded_before_it_while_the_exporters_still_take_spans()
    {
        var exported = new ExportedActivities();
        TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddProcessor(new BatchActivityExportProcessor(new InMemoryExporter<Activity>(exported), maxQueueSize: 8192, scheduledDelayMilliseconds: 600_000))
            .AddOtelGen()
            .Build()!;
        TraceId traceId = RecordTrace("dispose", 300);
        provider.Dispose();
        Assert.Equal(300, OfTrace(exported, traceId).Count);
    }

    /// <summary>A root and <paramref name="count"/> - 1 children, recorded back to back on this thread.</summary>
    private static TraceId RecordTrace(string prefix, int count)
    {
        using SpanScope root = Tracing.StartSpan(prefix + ".root");
        for (int i = 1; i < count; i++)
        {
            using SpanScope child = Tracing.StartSpan(prefix + ".child");
            child.SetAttribute("i", i);
        }
        return root.Context.TraceId;
    }

    [Fact]
    public void Each_provider_gets_each_span_once_and_a_later_bridge_takes_up_where_the_last_stopped()
    {
        var first = new ExportedActivities();
        var second = new ExportedActivities();
        TracerProvider a = Sdk.CreateTracerProviderBuilder().AddOtelGen().AddInMemoryExporter(first).Build()!;
        TracerProvider b = Sdk.CreateTracerProviderBuilder().AddOtelGen().AddInMemoryExporter(second).Build()!;
        TraceId both = RecordTrace("two.providers", 5);
        Assert.True(a.ForceFlush(10_000));
        Assert.True(b.ForceFlush(10_000));
        // One bridge, one Activity per span, seen by both providers' listeners.
        Assert.Equal(5, OfTrace(first, both).Select(x => x.SpanId).Distinct().Count());
        Assert.Equal(5, OfTrace(first, both).Count);
        Assert.Equal(5, OfTrace(second, both).Count);
        Assert.Same(OfTrace(first, both)[0], OfTrace(second, both).Single(x => x.SpanId == OfTrace(first, both)[0].SpanId));

        a.Dispose();
        TraceId onlySecond = RecordTrace("one.provider", 3);
        Assert.True(b.ForceFlush(10_000));
        Assert.Equal(3, OfTrace(second, onlySecond).Count);
        Assert.Empty(OfTrace(first, onlySecond));
        b.Dispose();
        Assert.Null(SpanBridge.Running);

        // Recorded while no provider existed: the next bridge delivers these, and nothing it delivered before.
        TraceId meanwhile = RecordTrace("no.provider", 4);
        var third = new ExportedActivities();
        using TracerProvider c = Sdk.CreateTracerProviderBuilder().AddOtelGen().AddInMemoryExporter(third).Build()!;
        Assert.True(c.ForceFlush(10_000));
        Assert.Equal(4, OfTrace(third, meanwhile).Count);
        Assert.Empty(OfTrace(third, both));
        Assert.Empty(OfTrace(third, onlySecond));
    }

    [Fact]
    public void The_SDK_sampler_decides_on_each_span_seeing_OtelGen_trace_id_and_parent()
    {
        var exported = new ExportedActivities();
        var sampler = new RecordingSampler();
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder().SetSampler(sampler).AddOtelGen().AddInMemoryExporter(exported).Build()!;
        long notSampledBefore = SpanBridge.Running!.NotSampled;
        TraceId traceId;
        SpanId rootId;
        SpanId keptId;
        using (SpanScope root = Tracing.StartSpan("sampler.root"))
        {
            traceId = root.Context.TraceId;
            rootId = root.Context.SpanId;
            using (SpanScope dropped = Tracing.StartSpan("sampler.drop"))
            {
            }
            using (SpanScope kept = Tracing.StartSpan("sampler.keep"))
            {
                keptId = kept.Context.SpanId;
            }
        }
        Assert.True(provider.ForceFlush(10_000));

        // A root: OtelGen's trace id, no parent span, OtelGen's sampled flag.
        SamplingParameters asked = sampler.Asked["sampler.root"];
        Assert.Equal(traceId.ToHexString(), asked.TraceId.ToHexString());
        Assert.Equal(default, asked.ParentContext.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, asked.ParentContext.TraceFlags & ActivityTraceFlags.Recorded);
        // A child: its OtelGen parent.
        Assert.Equal(rootId.ToHexString(), sampler.Asked["sampler.keep"].ParentContext.SpanId.ToHexString());
        Assert.Equal(traceId.ToHexString(), sampler.Asked["sampler.drop"].TraceId.ToHexString());
        // What it dropped is not exported, and is counted.
        List<Activity> ours = OfTrace(exported, traceId);
        Assert.Equal(new[] { "sampler.keep", "sampler.root" }, ours.Select(a => a.DisplayName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(keptId.ToHexString(), ours.Single(a => a.DisplayName == "sampler.keep").SpanId.ToHexString());
        Assert.Equal(notSampledBefore + 1, SpanBridge.Running!.NotSampled);
    }

    [Fact]
    public void OtelGen_stops_its_own_OTLP_export_from_the_environment_once_the_bridge_runs()
    {
        // The environment's exporter started before any provider and sent to the collector (the control span).
        Assert.NotNull(EnvironmentExport.StartedFromEnvironment);
        Assert.Equal("http", EnvironmentExport.StartedFromEnvironment!.TargetName);
        Assert.Contains(EnvironmentExport.Collector.Spans, s => s.SpanId == EnvironmentExport.ControlSpanId);

        string before;
        using (SpanScope span = Tracing.StartSpan("env.before.provider"))
        {
            before = span.Context.SpanId.ToHexString();
        }
        var exported = new ExportedActivities();
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder().AddOtelGen().AddInMemoryExporter(exported).Build()!;
        string after;
        using (SpanScope span = Tracing.StartSpan("env.after.provider"))
        {
            after = span.Context.SpanId.ToHexString();
        }
        Assert.True(provider.ForceFlush(10_000));
        Assert.True(EnvironmentExport.StartedFromEnvironment.IsStopped);
        // Whatever OtelGen's exporters still hold goes out now; then the collector has had its chance.
        Tracing.Flush(TimeSpan.FromSeconds(5));
        Thread.Sleep(500);
        List<string> collected = EnvironmentExport.Collector.Spans.Select(s => s.SpanId).ToList();
        List<string> bridged = exported.Snapshot().Select(a => a.SpanId.ToHexString()).ToList();
        Assert.Contains(after, bridged);
        Assert.DoesNotContain(after, collected);
        // A span recorded before the provider went out exactly once: by OtelGen's exporter, or by the bridge that took its place.
        Assert.Equal(1, collected.Count(id => id == before) + bridged.Count(id => id == before));
    }
}
