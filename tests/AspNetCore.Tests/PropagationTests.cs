using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>What crosses the wire: incoming context continued, outgoing HttpClient calls carry it, the conformance endpoint, and ASP.NET Core's own Activity.</summary>
public sealed class PropagationTests
{
    private sealed record Received(string? TraceParent, string? TraceState, string? Baggage, string Body);

    /// <summary>An app with /echo (records the headers it got), /call (calls /echo through IHttpClientFactory) and /activity.</summary>
    private static async Task<(RunningApp App, ConcurrentQueue<Received> Echoes)> StartEchoAppAsync(Action<OtelGenAspNetCoreOptions>? configure = null)
    {
        var echoes = new ConcurrentQueue<Received>();
        WebApplicationBuilder builder = RunningApp.NewBuilder(configure);
        builder.Services.AddHttpClient("echo");
        WebApplication app = builder.Build();
        app.MapPost("/echo", async (HttpContext context) =>
        {
            string body = await new System.IO.StreamReader(context.Request.Body).ReadToEndAsync();
            echoes.Enqueue(new Received(Header(context, "traceparent"), Header(context, "tracestate"), Header(context, "baggage"), body));
            return Results.Ok();
        });
        app.MapGet("/echo", (HttpContext context) =>
        {
            echoes.Enqueue(new Received(Header(context, "traceparent"), Header(context, "tracestate"), Header(context, "baggage"), ""));
            return Results.Ok();
        });
        app.MapGet("/call/{status:int}", async (int status, IHttpClientFactory factory, HttpContext context) =>
        {
            HttpClient client = factory.CreateClient("echo");
            string self = context.Request.Scheme + "://" + context.Request.Host;
            using HttpResponseMessage response = await client.GetAsync(status == 200 ? self + "/echo" : self + "/missing");
            return Results.Text(((int)response.StatusCode).ToString());
        });
        app.MapGet("/activity", () => Results.Json(new
        {
            activityTraceId = Activity.Current?.TraceId.ToHexString(),
            spanTraceId = Tracing.CurrentSpan.TraceId,
        }));
        app.MapTraceContextTestEndpoint();
        app.MapOtelGenDashboard();
        return (await RunningApp.StartAsync(app), echoes);
    }

    private static string? Header(HttpContext context, string name) =>
        context.Request.Headers.TryGetValue(name, out var values) ? values.ToString() : null;

    [Fact]
    public async Task HttpClient_calls_carry_traceparent_tracestate_and_baggage_and_record_a_client_span()
    {
        var (app, echoes) = await StartEchoAppAsync();
        await using RunningApp _ = app;
        TraceId traceId = Spans.NewTraceId();
        SpanId incoming = SpanId.NewRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/call/200");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, incoming));
        request.Headers.Add("tracestate", "congo=t61rcWkgMzE");
        request.Headers.Add("baggage", "user=alice,tenant=blue");
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        Assert.Equal("200", await response.Content.ReadAsStringAsync());

        Received echo = Assert.Single(echoes);
        Assert.True(TraceParent.TryParse(echo.TraceParent, echo.TraceState, out SpanContext sent));
        Assert.Equal(traceId, sent.TraceId);
        Assert.NotEqual(incoming, sent.SpanId);
        Assert.True(sent.IsSampled);
        Assert.Equal("congo=t61rcWkgMzE", echo.TraceState);
        Baggage baggage = BaggageHeader.Parse(echo.Baggage);
        Assert.Equal("alice", baggage.Get("user"));
        Assert.Equal("blue", baggage.Get("tenant"));

        // The callee's parent is our CLIENT span, a child of the caller's SERVER span.
        SpanRecord client = await Spans.WaitForAsync(s => s.TraceId == traceId && s.SpanId == sent.SpanId);
        SpanRecord server = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == "GET /call/{status:int}");
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal("GET", client.Name);
        Assert.Equal(server.SpanId, client.ParentSpanId);
        Assert.Equal("GET", client.Str("http.request.method"));
        Assert.Equal("127.0.0.1", client.Str("server.address"));
        Assert.Equal(new Uri(app.BaseUrl).Port.ToString(), client.Str("server.port"));
        Assert.Equal(app.BaseUrl + "/echo", client.Str("url.full"));
        Assert.Equal("200", client.Str("http.response.status_code"));
        Assert.Equal(SpanStatusCode.Unset, client.StatusCode);
        SpanRecord callee = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == "GET /echo");
        Assert.Equal(client.SpanId, callee.ParentSpanId);
        Assert.True(callee.ParentIsRemote);
    }

    [Fact]
    public async Task Client_span_is_an_error_for_4xx()
    {
        var (app, _) = await StartEchoAppAsync();
        await using RunningApp __ = app;
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/call/404");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        Assert.Equal("404", await response.Content.ReadAsStringAsync());
        SpanRecord client = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Client);
        Assert.Equal(SpanStatusCode.Error, client.StatusCode);
        Assert.Equal("404", client.Str("error.type"));
        // ... while the callee's SERVER span leaves a 404 UNSET (the client's mistake, not the server's).
        SpanRecord callee = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server && s.Str("url.path") == "/missing");
        Assert.Equal(SpanStatusCode.Unset, callee.StatusCode);
    }

    [Fact]
    public async Task Conformance_endpoint_posts_arguments_to_each_url_in_the_callers_trace()
    {
        var (app, echoes) = await StartEchoAppAsync(o => o.TraceContextTestEndpoint = true);
        await using RunningApp _ = app;
        TraceId traceId = Spans.NewTraceId();
        SpanId incoming = SpanId.NewRandom();
        string body = "[{\"url\":\"" + app.BaseUrl + "/echo\",\"arguments\":[{\"url\":\"x\",\"arguments\":[]}]},{\"url\":\"" + app.BaseUrl + "/echo\",\"arguments\":[]}]";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/test") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, incoming, "00"));
        request.Headers.Add("tracestate", "foo=1,bar=2");
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Received[] calls = echoes.ToArray();
        Assert.Equal(2, calls.Length);
        Assert.Equal("[{\"url\":\"x\",\"arguments\":[]}]", calls[0].Body);
        Assert.Equal("[]", calls[1].Body);
        var parents = new HashSet<SpanId>();
        foreach (Received call in calls)
        {
            Assert.True(TraceParent.TryParse(call.TraceParent, call.TraceState, out SpanContext sent), call.TraceParent);
            Assert.Equal(traceId, sent.TraceId);
            Assert.NotEqual(incoming, sent.SpanId);
            Assert.False(sent.IsSampled); // flags carried: the caller did not sample
            Assert.Equal("foo=1,bar=2", call.TraceState);
            parents.Add(sent.SpanId);
        }
        Assert.Equal(2, parents.Count);
    }

    [Theory]
    [InlineData("@foo=1,bar=2")]              // a key must begin with a lowercase letter or a digit
    [InlineData("FOO=1")]                     // upper-case key
    [InlineData("foo=,bar=3")]                // empty value
    [InlineData("foo=bar=baz")]               // '=' in a value
    [InlineData("foo=1,bar01=1,bar02=2,bar03=3,bar04=4,bar05=5,bar06=6,bar07=7,bar08=8,bar09=9,bar10=10,bar11=11,bar12=12,bar13=13,bar14=14,bar15=15,bar16=16,bar17=17,bar18=18,bar19=19,bar20=20,bar21=21,bar22=22,bar23=23,bar24=24,bar25=25,bar26=26,bar27=27,bar28=28,bar29=29,bar30=30,bar31=31,bar32=32")] // 33 members
    public async Task Conformance_endpoint_drops_an_invalid_tracestate_whole_and_keeps_the_trace(string tracestate)
    {
        // The W3C harness's strict cases: the trace is continued, the tracestate is not forwarded at all.
        // ASP.NET Core's own request Activity keeps the raw header, and HttpClient would send it on when
        // the outgoing request has none: the middleware must clear it there too.
        var (app, echoes) = await StartEchoAppAsync(o => o.TraceContextTestEndpoint = true);
        await using RunningApp _ = app;
        TraceId traceId = Spans.NewTraceId();
        string body = "[{\"url\":\"" + app.BaseUrl + "/echo\",\"arguments\":[]}]";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/test") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom(), "01"));
        request.Headers.TryAddWithoutValidation("tracestate", tracestate);
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Received call = Assert.Single(echoes);
        Assert.True(TraceParent.TryParse(call.TraceParent, null, out SpanContext sent), call.TraceParent);
        Assert.Equal(traceId, sent.TraceId);
        Assert.Null(call.TraceState);
    }

    // W3C Trace Context Level 2 through the conformance endpoint: the random-trace-id flag is carried with the
    // trace id, keys with '@' anywhere after the first character are kept, a repeated key is kept once (its
    // first member) and the header passed on (the harness's test_propagates_random_flag,
    // test_tracestate_key_illegal_vendor_format, test_tracestate_duplicated_keys).
    [Theory]
    [InlineData("02", "foo@=1,bar=2", "02", "foo@=1,bar=2")]
    [InlineData("03", "foo@bar@baz=1,bar=2", "03", "foo@bar@baz=1,bar=2")]
    [InlineData("ff", "foo=1,foo=2", "03", "foo=1")]
    [InlineData("00", "foo=1, foo=1", "00", "foo=1")]
    public async Task Conformance_endpoint_carries_the_random_flag_and_level_2_tracestate(string flags, string tracestate, string sentFlags, string sentState)
    {
        var (app, echoes) = await StartEchoAppAsync(o => o.TraceContextTestEndpoint = true);
        await using RunningApp _ = app;
        TraceId traceId = Spans.NewTraceId();
        string body = "[{\"url\":\"" + app.BaseUrl + "/echo\",\"arguments\":[]}]";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/test") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom(), flags));
        request.Headers.TryAddWithoutValidation("tracestate", tracestate);
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Received call = Assert.Single(echoes);
        Assert.StartsWith($"00-{traceId}-", call.TraceParent);
        Assert.EndsWith("-" + sentFlags, call.TraceParent);
        Assert.Equal(sentState, call.TraceState);
    }

    [Fact]
    public async Task Conformance_endpoint_starts_a_new_trace_for_an_invalid_traceparent()
    {
        var (app, echoes) = await StartEchoAppAsync(o => o.TraceContextTestEndpoint = true);
        await using RunningApp _ = app;
        string body = "[{\"url\":\"" + app.BaseUrl + "/echo\",\"arguments\":[]}]";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/test") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01.");
        request.Headers.TryAddWithoutValidation("tracestate", "foo=1");
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Received call = Assert.Single(echoes);
        Assert.True(TraceParent.TryParse(call.TraceParent, null, out SpanContext sent));
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", sent.TraceId.ToHexString());
        Assert.Null(call.TraceState);
    }

    [Fact]
    public async Task Conformance_endpoint_is_off_unless_enabled()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        using HttpResponseMessage response = await blog.Client.PostAsync("/test", new StringContent("[]", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task With_AspNetCore_Activity_listened_to_but_not_recorded_there_is_one_server_span_in_one_trace()
    {
        // Listened to for propagation only: the host makes its request Activity, nobody records it, so OtelGen's
        // SERVER span is the request's (a recorded one is the request's SERVER span itself: RecordedHostActivityTests).
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        };
        var hostActivities = new ConcurrentQueue<Activity>();
        listener.ActivityStopped = hostActivities.Enqueue;
        ActivitySource.AddActivityListener(listener);

        var (app, _) = await StartEchoAppAsync();
        await using RunningApp __ = app;

        // With an incoming traceparent: the host Activity and our SERVER span are both in the caller's trace.
        TraceId traceId = Spans.NewTraceId();
        SpanId incoming = SpanId.NewRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/activity");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, incoming));
        using HttpResponseMessage response = await app.Client.SendAsync(request);
        using JsonDocument seen = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(traceId.ToHexString(), seen.RootElement.GetProperty("activityTraceId").GetString());
        Assert.Equal(traceId.ToHexString(), seen.RootElement.GetProperty("spanTraceId").GetString());
        await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
        SpanRecord server = Assert.Single(Spans.OfTrace(traceId), s => s.Kind == ActivityKind.Server);
        Assert.Equal("GET /activity", server.Name);
        Assert.Equal(incoming, server.ParentSpanId);
        Assert.Contains(hostActivities, a => a.TraceId.ToHexString() == traceId.ToHexString());

        // Without one: our span is a root in the host Activity's trace (logs and spans agree).
        string probe = Guid.NewGuid().ToString("N");
        using HttpResponseMessage fresh = await app.Client.GetAsync("/activity?probe=" + probe);
        using JsonDocument freshSeen = JsonDocument.Parse(await fresh.Content.ReadAsStringAsync());
        string? activityTrace = freshSeen.RootElement.GetProperty("activityTraceId").GetString();
        Assert.NotNull(activityTrace);
        Assert.Equal(activityTrace, freshSeen.RootElement.GetProperty("spanTraceId").GetString());
        SpanRecord root = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe);
        Assert.Equal(activityTrace, root.TraceId.ToHexString());
        Assert.False(root.ParentSpanId.IsValid);
        Assert.Single(Spans.OfTrace(root.TraceId), s => s.Kind == ActivityKind.Server);
    }
}
