using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OtelGen.Spans;
using OtelGen.Activities;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// When someone records the host's request Activity (the OpenTelemetry SDK's ASP.NET Core instrumentation, or OtelGen
/// itself recording <c>Microsoft.AspNetCore</c>), that Activity is the request's SERVER span: OtelGen starts none of its
/// own, and its spans in the request are children of the Activity.
/// </summary>
public sealed class RecordedHostActivityTests
{
    private sealed record Seen(string? HostTraceId, string? HostSpanId, bool HostRecorded, bool HostAllData, string WorkSpanId);

    /// <summary>An app whose /work endpoint opens an OtelGen span and says what the host's Activity was.</summary>
    private static async Task<RunningApp> StartAppAsync()
    {
        WebApplication app = RunningApp.NewBuilder().Build();
        app.MapGet("/work", () =>
        {
            Activity? host = Activity.Current;
            string work;
            using (SpanScope span = Tracing.StartSpan("work"))
            {
                work = span.Context.SpanId.ToHexString();
            }
            return Results.Json(new
            {
                hostTraceId = host?.TraceId.ToHexString(),
                hostSpanId = host?.SpanId.ToHexString(),
                hostRecorded = host?.Recorded ?? false,
                hostAllData = host?.IsAllDataRequested ?? false,
                workSpanId = work,
            });
        });
        return await RunningApp.StartAsync(app);
    }

    private static async Task<Seen> GetWorkAsync(RunningApp app, TraceId traceId, string flags)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/work");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom(), flags));
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = json.RootElement;
        return new Seen(
            root.GetProperty("hostTraceId").GetString(),
            root.GetProperty("hostSpanId").GetString(),
            root.GetProperty("hostRecorded").GetBoolean(),
            root.GetProperty("hostAllData").GetBoolean(),
            root.GetProperty("workSpanId").GetString()!);
    }

    /// <summary>Waits until the host's Activity of <paramref name="traceId"/> has stopped (after the middleware's span would have ended).</summary>
    private static async Task<Activity> WaitStoppedAsync(ConcurrentQueue<Activity> stopped, TraceId traceId)
    {
        using var timeout = new CancellationTokenSource(10_000);
        while (true)
        {
            Activity? found = stopped.FirstOrDefault(a => a.TraceId.ToHexString() == traceId.ToHexString());
            if (found is not null)
            {
                return found;
            }
            Assert.False(timeout.IsCancellationRequested, "the host's request Activity did not stop within 10 s");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(ActivitySamplingResult.AllDataAndRecorded, "01", true)]
    [InlineData(ActivitySamplingResult.AllData, "00", true)]
    [InlineData(ActivitySamplingResult.PropagationData, "01", false)]
    public async Task A_recorded_host_Activity_is_the_requests_server_span(ActivitySamplingResult sampling, string flags, bool hostIsTheServerSpan)
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
            SampleUsingParentId = (ref ActivityCreationOptions<string> _) => sampling,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using RunningApp app = await StartAppAsync();

        TraceId traceId = Spans.NewTraceId();
        Seen seen = await GetWorkAsync(app, traceId, flags);
        Activity host = await WaitStoppedAsync(stopped, traceId);

        // What the listener made of the host's Activity (the case this run is about).
        Assert.Equal(traceId.ToHexString(), seen.HostTraceId);
        Assert.Equal(host.SpanId.ToHexString(), seen.HostSpanId);
        Assert.Equal(sampling != ActivitySamplingResult.PropagationData, seen.HostAllData);
        Assert.Equal(flags == "01" && sampling == ActivitySamplingResult.AllDataAndRecorded, seen.HostRecorded);

        var ours = Spans.OfTrace(traceId);
        if (hostIsTheServerSpan)
        {
            // No SERVER span of OtelGen's for the request: the host's Activity is it.
            Assert.DoesNotContain(ours, s => s.Kind == ActivityKind.Server);
            if (seen.HostRecorded)
            {
                // OtelGen's span in the request is the Activity's child.
                SpanRecord work = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == "work");
                Assert.Equal(seen.WorkSpanId, work.SpanId.ToHexString());
                Assert.Equal(seen.HostSpanId, work.ParentSpanId.ToHexString());
            }
            else
            {
                // Not sampled (the Activity's flag): OtelGen recorded nothing of the request.
                Assert.Empty(ours);
            }
        }
        else
        {
            // Nobody records the host's Activity: OtelGen's SERVER span is the request's, the parent of its spans.
            SpanRecord server = Assert.Single(ours, s => s.Kind == ActivityKind.Server);
            Assert.Equal("GET /work", server.Name);
            SpanRecord work = Assert.Single(ours, s => s.Name == "work");
            Assert.Equal(server.SpanId, work.ParentSpanId);
        }
    }

    [Fact]
    public async Task When_OtelGen_records_the_host_Activity_the_ring_has_that_one_server_span()
    {
        // OTELGEN_ACTIVITY_SOURCES=Microsoft.AspNetCore, from code. Recording a source cannot be undone through the
        // public API, and every other test here expects OtelGen's own SERVER span: the selection in force before is
        // put back through the runtime's internal listener.
        ActivitySourceSelection previous = ActivityRecorder.Selection;
        try
        {
            Tracing.RecordActivities("Microsoft.AspNetCore");
            await using RunningApp app = await StartAppAsync();
            TraceId traceId = Spans.NewTraceId();
            Seen seen = await GetWorkAsync(app, traceId, "01");
            Assert.True(seen.HostRecorded);

            SpanRecord server = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
            SpanRecord work = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == "work");
            // The SERVER span is the host's Activity, copied into the ring; OtelGen started no second one.
            Assert.Equal(seen.HostSpanId, server.SpanId.ToHexString());
            Assert.Single(Spans.OfTrace(traceId), s => s.Kind == ActivityKind.Server);
            Assert.Equal(server.SpanId, work.ParentSpanId);
        }
        finally
        {
            ActivityRecorder.Listen(previous);
        }
    }
}
