using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Activities;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;
using OtelGen.Tests.Shared;
using static OtelGen.Runtime.Tests.SpanTestKit;

namespace OtelGen.Runtime.Tests.Activities;

/// <summary>
/// Issue #23 items 1–3 with real parts: library ActivitySources recorded as OtelGen spans, parents both ways
/// (sandwiches across await, Task.Run and Parallel), and HttpClient against a loopback server that records the
/// headers it is sent. Each test sets the recorded sources it needs and puts the empty selection back.
/// </summary>
public sealed class ActivityInteropTests : IDisposable
{
    private const string Recorded = "Test.Interop.Library";

    public ActivityInteropTests() => ActivityRecorder.Listen(ActivitySourceSelection.Empty);

    public void Dispose() => ActivityRecorder.Listen(ActivitySourceSelection.Empty);

    [Fact]
    public void A_named_source_is_recorded_as_a_child_of_the_OtelGen_span_with_kind_status_tags_events_and_links()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded, "1.2.3");
        var linked = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        SpanContext outer;
        string activitySpanId;
        using (var span = Tracing.StartSpan("outer"))
        {
            outer = span.Context;
            using Activity? activity = source.StartActivity("db.query", ActivityKind.Client, parentContext: default,
                tags: new Dictionary<string, object?> { ["db.system.name"] = "postgresql" },
                links: new[] { new ActivityLink(linked, new ActivityTagsCollection { ["link.kind"] = "cause" }) });
            Assert.NotNull(activity);
            activity!.SetTag("db.response.returned_rows", 3);
            activity.SetTag("server.port", 5432L);
            activity.SetTag("ratio", 0.5);
            activity.SetTag("cached", true);
            activity.SetTag("tables", new[] { "a", "b" });
            activity.SetTag("ids", new[] { 1, 2 });
            activity.SetTag("nothing", null);
            activity.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["attempt"] = 2 }));
            activity.SetStatus(ActivityStatusCode.Error, "deadlock");
            activitySpanId = activity.SpanId.ToHexString();
        }

        List<SpanRecord> trace = Trace(outer.TraceId);
        SpanRecord recorded = Single(trace, "db.query");
        Assert.Equal(activitySpanId, recorded.SpanId.ToHexString());
        Assert.Equal(outer.SpanId, recorded.ParentSpanId);
        Assert.Equal(Recorded, recorded.ScopeName);
        Assert.Equal("1.2.3", recorded.ScopeVersion);
        Assert.Equal(ActivityKind.Client, recorded.Kind);
        Assert.Equal(SpanStatusCode.Error, recorded.StatusCode);
        Assert.Equal("deadlock", recorded.StatusMessage);
        Assert.True(recorded.EndUnixNano >= recorded.StartUnixNano && recorded.StartUnixNano > 0);
        Assert.Equal("postgresql", Attribute(recorded, "db.system.name").AsString());
        Assert.Equal(3, Attribute(recorded, "db.response.returned_rows").AsLong());
        Assert.Equal(5432, Attribute(recorded, "server.port").AsLong());
        Assert.Equal(0.5, Attribute(recorded, "ratio").AsDouble());
        Assert.True(Attribute(recorded, "cached").AsBool());
        Assert.Equal(new[] { "a", "b" }, Attribute(recorded, "tables").AsStringArray());
        Assert.Equal(new long[] { 1, 2 }, Attribute(recorded, "ids").AsLongArray());
        Assert.False(recorded.TryGetAttribute("nothing", out _));
        Assert.Equal("_OTHER", Attribute(recorded, "error.type").AsString());
        Assert.Equal(1, recorded.EventCount);
        Assert.Equal("retry", recorded.Events[0].Name);
        Assert.Equal(2, EventAttribute(recorded, 0, "attempt").AsLong());
        Assert.Equal(1, recorded.LinkCount);
        Assert.Equal(TraceId.FromActivityTraceId(linked.TraceId), recorded.Links[0].TraceId);
        Assert.Equal(SpanId.FromActivitySpanId(linked.SpanId), recorded.Links[0].SpanId);
    }

    [Fact]
    public void Sources_nobody_named_are_not_listened_to_and_wildcards_match_names_ignoring_case()
    {
        Tracing.RecordActivities("test.wild.*");
        using var matched = new ActivitySource("Test.Wild.Db");
        using var unnamed = new ActivitySource("Test.Interop.Unnamed");
        Assert.True(matched.HasListeners());
        Assert.False(unnamed.HasListeners());
        TraceId traceId;
        using (var span = Tracing.StartSpan("outer"))
        {
            traceId = span.Context.TraceId;
            using (matched.StartActivity("matched")) { }
            Assert.Null(unnamed.StartActivity("unnamed"));
        }
        Assert.Single(Trace(traceId), s => s.Name == "matched");
    }

    [Fact]
    public void HttpClients_source_makes_no_Activity_outside_OtelGen_spans_unless_named()
    {
        using var http = new ActivitySource(ActivityRecorder.HttpClientSource);
        Assert.True(http.HasListeners());
        Assert.Null(http.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client));
        using (Tracing.StartSpan("outer"))
        {
            using Activity? propagationOnly = http.StartActivity("System.Net.Http.HttpRequestOut", ActivityKind.Client);
            Assert.NotNull(propagationOnly);
            Assert.False(propagationOnly!.IsAllDataRequested);
        }
    }

    [Fact]
    public void An_unsampled_OtelGen_parent_makes_the_library_Activity_unrecorded()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        var parent = new SpanContext(TraceId.NewRandom(), SpanId.NewRandom(), traceFlags: 0, isRemote: true);
        using (TraceContext.Continue(parent))
        using (var span = Tracing.StartSpan("unsampled"))
        {
            using Activity? activity = source.StartActivity("query");
            Assert.NotNull(activity);
            Assert.False(activity!.Recorded);
            Assert.False(activity.IsAllDataRequested);
            // Recorded by nobody, it stands in for the OtelGen span: what it sends on names that span.
            Assert.Equal(parent.TraceId, TraceId.FromActivityTraceId(activity.TraceId));
            Assert.Equal(span.Context.SpanId, SpanId.FromActivitySpanId(activity.SpanId));
            Assert.Equal(span.Context.ToTraceParent(), activity.Id);
        }
        Assert.DoesNotContain(Trace(parent.TraceId), s => s.Name == "query");
    }

    [Fact]
    public void A_root_library_Activity_takes_OtelGens_ratio_decision_on_its_own_trace_id()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        HeadDecision before = HeadDecision.Current;
        try
        {
            // traceidratio 0: nothing sampled; the Activity exists for propagation only.
            HeadDecision.Current = new HeadDecision(parentBased: true, bound: 0, recordsUnsampled: false);
            using (Activity? dropped = source.StartActivity("root.dropped"))
            {
                Assert.NotNull(dropped);
                Assert.False(dropped!.IsAllDataRequested);
            }
            // A ratio that keeps trace ids whose top bits are below the bound: decided on the Activity's own id.
            HeadDecision.Current = new HeadDecision(parentBased: true, bound: 0x4000_0000_0000_0000UL, recordsUnsampled: false);
            int kept = 0, total = 400;
            for (int i = 0; i < total; i++)
            {
                using Activity activity = source.StartActivity("root.ratio")!;
                bool expected = HeadDecision.Magnitude(TraceId.FromActivityTraceId(activity.TraceId).High) < 0x4000_0000_0000_0000UL;
                Assert.Equal(expected, activity.IsAllDataRequested);
                kept += activity.IsAllDataRequested ? 1 : 0;
            }
            Assert.InRange(kept, 1, total - 1);
        }
        finally
        {
            HeadDecision.Current = before;
        }
    }

    [Fact]
    public void A_sandwich_OtelGen_Activity_OtelGen_is_one_nested_tree_and_the_outer_span_is_current_again_after()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        SpanContext outer;
        string librarySpan;
        using (var span = Tracing.StartSpan("outer"))
        {
            outer = span.Context;
            using (Activity activity = source.StartActivity("library")!)
            {
                librarySpan = activity.SpanId.ToHexString();
                Assert.Equal(outer.TraceId, TraceId.FromActivityTraceId(activity.TraceId));
                Assert.Equal(outer.SpanId, SpanId.FromActivitySpanId(activity.ParentSpanId));
                Assert.Equal($"00-{outer.TraceId.ToHexString()}-{outer.SpanId.ToHexString()}-{outer.TraceFlags:x2}", activity.ParentId);
                using (Tracing.StartSpan("inner")) { }
            }
            using (Tracing.StartSpan("after")) { }
        }
        List<SpanRecord> trace = Trace(outer.TraceId);
        Assert.Equal(librarySpan, Single(trace, "inner").ParentSpanId.ToHexString());
        Assert.Equal(outer.SpanId, Single(trace, "library").ParentSpanId);
        Assert.Equal(outer.SpanId, Single(trace, "after").ParentSpanId);
    }

    [Fact]
    public async Task Sandwiches_hold_across_await_Task_Run_and_parallel_fan_out()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        SpanContext outer;
        AsyncSpanScope span = Tracing.StartAsyncSpan("outer");
        try
        {
            outer = span.Context;
            await Task.Yield();
            await Task.Run(async () =>
            {
                using Activity activity = source.StartActivity("run.library")!;
                await Task.Delay(1);
                using (Tracing.StartSpan("run.inner")) { }
            });
            Parallel.For(0, 8, i =>
            {
                using Activity activity = source.StartActivity("fan.library")!;
                activity.SetTag("i", i);
                using (var inner = Tracing.StartSpan("fan.inner"))
                {
                    inner.SetAttribute("i", i);
                }
            });
            using (Activity activity = source.StartActivity("await.library")!)
            {
                // The continuation on another thread (no captured context) must still find the library Activity.
#pragma warning disable xUnit1030
                await Task.Delay(1).ConfigureAwait(false);
#pragma warning restore xUnit1030
                using (Tracing.StartSpan("await.inner")) { }
            }
        }
        finally
        {
            span.Dispose();
        }
        List<SpanRecord> trace = Trace(outer.TraceId);
        Assert.Equal(outer.SpanId, Single(trace, "run.library").ParentSpanId);
        Assert.Equal(Single(trace, "run.library").SpanId, Single(trace, "run.inner").ParentSpanId);
        Assert.Equal(outer.SpanId, Single(trace, "await.library").ParentSpanId);
        Assert.Equal(Single(trace, "await.library").SpanId, Single(trace, "await.inner").ParentSpanId);
        List<SpanRecord> libraries = trace.Where(s => s.Name == "fan.library").ToList();
        List<SpanRecord> inners = trace.Where(s => s.Name == "fan.inner").ToList();
        Assert.Equal(8, libraries.Count);
        Assert.Equal(8, inners.Count);
        foreach (SpanRecord library in libraries)
        {
            Assert.Equal(outer.SpanId, library.ParentSpanId);
            long i = Attribute(library, "i").AsLong();
            SpanRecord inner = Assert.Single(inners, s => Attribute(s, "i").AsLong() == i);
            Assert.Equal(library.SpanId, inner.ParentSpanId);
        }
    }

    [Fact]
    public void An_Activity_that_outlives_its_parent_does_not_become_a_parent_once_stopped()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        SpanContext outer;
        using (var span = Tracing.StartSpan("outer"))
        {
            outer = span.Context;
            Activity parent = source.StartActivity("parent")!;
            Activity child = source.StartActivity("child")!;
            parent.Stop();
            child.Stop();
            // .NET puts the stopped parent back as Activity.Current.
            Assert.Same(parent, Activity.Current);
            using (Tracing.StartSpan("after")) { }
            Activity.Current = null;
        }
        Assert.Equal(outer.SpanId, Single(Trace(outer.TraceId), "after").ParentSpanId);
    }

    [Fact]
    public void An_Activity_that_names_itself_as_parent_is_exported_without_a_parent()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        TraceId traceId = TraceId.NewRandom();
        var self = new SpanId(0x5e1f5e1f5e1f5e1fUL);
        string errors = CaptureStderr(() =>
        {
            using (Activity activity = source.StartActivity("reused.span.id")!)
            {
                Assert.True(ActivityIds.TrySetIds(activity, traceId, self, self, 1, sampled: true));
            }
            // Stopped Activities are copied into the ring when it is read: the warning comes then.
            _ = Tracing.Ring.Snapshot();
        });
        SpanRecord recorded = Single(Trace(traceId), "reused.span.id");
        Assert.False(recorded.ParentSpanId.IsValid);
        Assert.Contains("own span id as parent id", errors);
    }

    [Fact]
    public void An_explicit_parent_a_library_names_is_kept()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        var remote = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        using (Tracing.StartSpan("unrelated"))
        {
            using Activity activity = source.StartActivity("consumer", ActivityKind.Consumer, remote)!;
            Assert.Equal(remote.TraceId, activity.TraceId);
            Assert.Equal(remote.SpanId, activity.ParentSpanId);
        }
        SpanRecord recorded = Single(Trace(TraceId.FromActivityTraceId(remote.TraceId)), "consumer");
        Assert.True(recorded.ParentIsRemote);
        Assert.Equal(ActivityKind.Consumer, recorded.Kind);
    }

    [Fact]
    public async Task A_plain_HttpClient_sends_the_innermost_OtelGen_span_with_its_flags_tracestate_and_baggage()
    {
        using var server = new HeaderRecordingServer();
        var remote = new SpanContext(TraceId.NewRandom(), SpanId.NewRandom(), traceFlags: 1, traceState: "vendor=abc", isRemote: true);
        SpanContext expected;
        using (TraceContext.Continue(remote))
        using (TraceContext.SetBaggage("tenant", "acme"))
        {
            var span = Tracing.StartAsyncSpan("call.remote");
            expected = span.Context;
            using var http = new HttpClient();
            await http.GetStringAsync(server.Url);
            span.Dispose();
        }
        RecordedRequest headers = server.Requests.Single();
        Assert.Equal(expected.ToTraceParent(), headers["traceparent"]);
        Assert.Equal(remote.TraceId, expected.TraceId);
        Assert.Equal("vendor=abc", headers["tracestate"]);
        Assert.Equal("tenant=acme", headers["baggage"]);
    }

    [Fact]
    public void A_synchronous_Send_inside_a_synchronous_span_and_every_handler_kind_propagate()
    {
        using var server = new HeaderRecordingServer();
        SpanContext expected;
        using (var span = Tracing.StartSpan("call.sync"))
        {
            expected = span.Context;
            using var plain = new HttpClient();
            plain.Send(new HttpRequestMessage(HttpMethod.Get, server.Url));
            using var sockets = new HttpClient(new SocketsHttpHandler());
            sockets.Send(new HttpRequestMessage(HttpMethod.Get, server.Url));
            using var wrapped = new HttpClient(new PassThroughHandler(new HttpClientHandler()));
            wrapped.Send(new HttpRequestMessage(HttpMethod.Get, server.Url));
            // A handler made before OtelGen loaded keeps .NET's default propagator: the propagation-only
            // Activity then carries the OtelGen span's own ids.
            using var early = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = DistributedContextPropagator.CreateDefaultPropagator() });
            early.Send(new HttpRequestMessage(HttpMethod.Get, server.Url));
        }
        Assert.Equal(4, server.Requests.Count);
        Assert.All(server.Requests, headers => Assert.Equal(expected.ToTraceParent(), headers["traceparent"]));
    }

    [Fact]
    public async Task With_System_Net_Http_recorded_the_traceparent_names_the_recorded_client_span()
    {
        Tracing.RecordActivities("System.Net.Http");
        using var server = new HeaderRecordingServer();
        SpanContext outer;
        var span = Tracing.StartAsyncSpan("call.recorded");
        outer = span.Context;
        using (var http = new HttpClient())
        {
            await http.GetStringAsync(server.Url);
        }
        span.Dispose();
        string traceparent = server.Requests.Single()["traceparent"];
        List<SpanRecord> trace = Trace(outer.TraceId);
        SpanRecord client = Single(trace, "GET");
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal(outer.SpanId, client.ParentSpanId);
        Assert.Equal(200, Attribute(client, "http.response.status_code").AsLong());
        Assert.Equal(new SpanContext(outer.TraceId, client.SpanId, outer.TraceFlags).ToTraceParent(), traceparent);
    }

    [Fact]
    public async Task Inside_an_unrecorded_host_Activity_the_OtelGen_span_is_still_the_parent_sent()
    {
        using var server = new HeaderRecordingServer();
        using var host = new Activity("host.request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var span = Tracing.StartAsyncSpan("in.host");
        SpanContext expected = span.Context;
        using (var http = new HttpClient())
        {
            await http.GetStringAsync(server.Url);
        }
        span.Dispose();
        host.Stop();
        Assert.Equal(TraceId.FromActivityTraceId(host.TraceId), expected.TraceId);
        Assert.Equal(expected.ToTraceParent(), server.Requests.Single()["traceparent"]);
    }

    [Fact]
    public async Task A_legacy_Activity_started_inside_an_OtelGen_span_joins_its_trace_and_HttpClient_still_sends_the_span()
    {
        // new Activity().Start() inside a span (an older library): nobody records it, it says IsAllDataRequested by
        // default; it stands in for the span, and the request made under it names the span.
        using var server = new HeaderRecordingServer();
        AsyncSpanScope span = Tracing.StartAsyncSpan("outer");
        SpanContext expected = span.Context;
        Activity legacy = new Activity("legacy.op").Start();
        Assert.Equal(expected.TraceId, TraceId.FromActivityTraceId(legacy.TraceId));
        using (var http = new HttpClient())
        {
            await http.GetStringAsync(server.Url);
        }
        legacy.Stop();
        span.Dispose();
        Assert.Equal(expected.ToTraceParent(), server.Requests.Single()["traceparent"]);
    }

    [Fact]
    public void Suppressed_instrumentation_records_nothing_and_stands_in_for_nothing()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        bool suppressed = true;
        ActivityRecorder.IsSuppressed = () => suppressed;
        try
        {
            using (Tracing.StartSpan("outer"))
            {
                Assert.Null(source.StartActivity("suppressed"));
                suppressed = false;
                Assert.NotNull(source.StartActivity("heard"));
            }
        }
        finally
        {
            ActivityRecorder.IsSuppressed = null;
        }
    }

    [Fact]
    public void A_link_added_from_code_keeps_whether_its_context_is_remote()
    {
        var remote = new SpanContext(TraceId.NewRandom(), SpanId.NewRandom(), 1, isRemote: true);
        TraceId traceId;
        using (var span = Tracing.StartSpan("linking"))
        {
            traceId = span.Context.TraceId;
            span.Span.AddLink(remote);
        }
        SpanRecord recorded = Single(Trace(traceId), "linking");
        Assert.True(recorded.Links[0].IsRemote);
    }

    [Fact]
    public void Libraries_injecting_through_DistributedContextPropagator_get_the_OtelGen_context()
    {
        var headers = new Dictionary<string, string>();
        SpanContext expected;
        using (var span = Tracing.StartSpan("inject"))
        {
            expected = span.Context;
            DistributedContextPropagator.Current.Inject(null, headers, static (carrier, name, value) => ((Dictionary<string, string>)carrier!)[name] = value!);
        }
        Assert.Equal(expected.ToTraceParent(), headers["traceparent"]);
        headers.Clear();
        DistributedContextPropagator.Current.Inject(null, headers, static (carrier, name, value) => ((Dictionary<string, string>)carrier!)[name] = value!);
        Assert.Empty(headers);
    }

    [Fact]
    public void A_malformed_source_list_warns_once_per_entry_and_keeps_the_valid_names()
    {
        ActivitySourceSelection selection = null!;
        string errors = CaptureStderr(() => selection = ActivitySourceSelection.Parse("Npgsql,,bad name,**,System.Net.Http"));
        Assert.Equal(new[] { "Npgsql", "System.Net.Http" }, selection.Entries);
        Assert.Contains("entry '' ignored (empty)", errors);
        Assert.Contains("entry 'bad name' ignored", errors);
        Assert.Contains("entry '**' ignored (only wildcards)", errors);
        Assert.True(selection.Matches("npgsql"));
        Assert.False(selection.Matches("Npgsql.Extra"));
    }

    [Fact]
    public void A_name_no_source_ever_had_is_reported_with_the_closest_real_one()
    {
        ActivitySourceSelection selection = ActivitySourceSelection.Parse("Npgsq,System.Net.Http");
        selection.Matches("Npgsql");
        selection.Matches("System.Net.Http");
        Assert.Equal(new[] { "Npgsq" }, selection.Unseen());
        Assert.Contains("'Npgsq' (did you mean 'Npgsql'?)", selection.UnseenWarning());
        ActivitySourceSelection allSeen = ActivitySourceSelection.Parse("System.Net.Http");
        allSeen.Matches("System.Net.Http");
        Assert.Null(allSeen.UnseenWarning());
    }

    [Fact]
    public void A_hierarchical_id_Activity_is_not_recorded_warns_and_throws_nothing()
    {
        Tracing.RecordActivities(Recorded);
        using var source = new ActivitySource(Recorded);
        string errors = CaptureStderr(() =>
        {
            using (Tracing.StartSpan("outer"))
            {
                using Activity? byParentId = source.StartActivity("legacy", ActivityKind.Internal, parentId: "|legacy-root.1.");
                Assert.Null(byParentId);
                Activity? hierarchical = source.CreateActivity("legacy2", ActivityKind.Internal, parentContext: default, idFormat: ActivityIdFormat.Hierarchical);
                hierarchical?.Start();
                hierarchical?.Stop();
            }
        });
        Assert.Contains("hierarchical id format", errors);
    }

    private static AttributeValue Attribute(SpanRecord record, string key)
    {
        Assert.True(record.TryGetAttribute(key, out AttributeValue value), $"{record.Name} has no attribute {key}");
        return value;
    }

    private static AttributeValue EventAttribute(SpanRecord record, int eventIndex, string key)
    {
        SpanEvent e = record.Events[eventIndex];
        foreach (KeyValue kv in record.NestedRange(e.AttributeStart, e.AttributeCount))
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }
        throw new Xunit.Sdk.XunitException($"event {e.Name} has no attribute {key}");
    }

    private static string CaptureStderr(Action action)
    {
        TextWriter original = Console.Error;
        var writer = new StringWriter();
        Console.SetError(writer);
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

    private sealed class PassThroughHandler(HttpMessageHandler inner) : DelegatingHandler(inner);
}
