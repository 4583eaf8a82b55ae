using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>BlogServer on real Kestrel: each request is one SERVER root and the trace tree is what the code says.</summary>
public sealed class ServerSpanTests
{
    [Fact]
    public async Task Blog_post_request_records_the_expected_trace_tree()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        TraceId traceId = Spans.NewTraceId();
        SpanId remoteParent = SpanId.NewRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/7");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, remoteParent));
        using HttpResponseMessage response = await blog.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Post 7", await response.Content.ReadAsStringAsync());

        SpanRecord root = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == "GET /blogs/posts/{id:int}");
        List<SpanRecord> spans = Spans.OfTrace(traceId);

        // The root continues the caller's context: same trace, remote parent, SERVER, semconv attributes.
        Assert.Equal(ActivityKind.Server, root.Kind);
        Assert.Equal(remoteParent, root.ParentSpanId);
        Assert.True(root.ParentIsRemote);
        Assert.Equal(SpanStatusCode.Unset, root.StatusCode);
        Assert.Equal("GET", root.Str("http.request.method"));
        Assert.Equal("/blogs/posts/{id:int}", root.Str("http.route"));
        Assert.Equal("200", root.Str("http.response.status_code"));
        Assert.Equal("/blogs/posts/7", root.Str("url.path"));
        Assert.Equal("http", root.Str("url.scheme"));
        Assert.Equal("127.0.0.1", root.Str("server.address"));
        Assert.Equal(new Uri(blog.BaseUrl).Port.ToString(), root.Str("server.port"));
        Assert.Equal("1.1", root.Str("network.protocol.version"));
        Assert.Equal("127.0.0.1", root.Str("client.address"));
        Assert.False(root.Has("error.type"));

        // Exactly one span of ours answers the caller.
        Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.ParentSpanId == remoteParent);

        SpanRecord ChildOf(SpanRecord parent, string name) => Assert.Single(spans, s => s.ParentSpanId == parent.SpanId && s.Name == name);
        SpanRecord loadPost = ChildOf(root, "step.load_post");
        SpanRecord loadAuthor = ChildOf(root, "step.load_author");
        SpanRecord render = ChildOf(root, "step.render");
        Assert.True(loadPost.StartUnixNano <= loadAuthor.StartUnixNano && loadAuthor.StartUnixNano <= render.StartUnixNano);

        SpanRecord db = ChildOf(loadPost, "db.get blog_post");
        Assert.Equal(ActivityKind.Client, db.Kind);
        Assert.Equal("blog_post", db.Str("db.collection.name"));
        // The simulated database round trip (Task.Delay) is a wait for I/O while holding a worker: a park.
        Assert.Equal(new[] { "job.enqueued", "job.taken", "job.started", "job.parked", "job.resumed", "job.completed" }, db.Events.Take(db.EventCount).Select(e => e.Name).ToArray());
        Assert.Equal("effects", db.Str("job.queue"));
        Assert.True(db.Has("job.queue_wait_ms"));

        SpanRecord comments = ChildOf(loadPost, "http.get comments");
        // The HTTP call waits for I/O while holding a worker: a park, with the worker limit.
        Assert.Equal(new[] { "job.enqueued", "job.taken", "job.started", "job.parked", "job.resumed", "job.completed" }, comments.Events.Take(comments.EventCount).Select(e => e.Name).ToArray());
        SpanRecord client = ChildOf(comments, "GET");
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal("200", client.Str("http.response.status_code"));
        SpanRecord stub = ChildOf(client, "GET /stub/comments/{id:int}");
        Assert.Equal(ActivityKind.Server, stub.Kind);
        Assert.True(stub.ParentIsRemote);

        SpanRecord cache = ChildOf(loadAuthor, "cache.get author");
        Assert.Equal(ActivityKind.Client, cache.Kind);
        Assert.Equal("2", cache.Str("app.author.id"));
        Assert.Equal("7", db.Str("app.post.id"));

        Assert.Equal(9, spans.Count);
        // Every span starts inside the request. (An async span ends in a continuation of its task, which
        // may run just after the awaiting parent moved on, so end times are not compared.)
        Assert.All(spans, s => Assert.True(s.StartUnixNano >= root.StartUnixNano && s.StartUnixNano <= root.EndUnixNano, s.Name + " starts within the request"));
    }

    [Fact]
    public async Task Queue_waits_and_parks_are_promoted_to_spans_when_over_the_threshold()
    {
        // With the thresholds at zero every queue wait and every park is long enough.
        OtelGen.Jobs.JobSettings.PromoteQueueMs = 0;
        OtelGen.Jobs.JobSettings.PromoteParkMs = 0;
        try
        {
            await using RunningApp blog = await RunningApp.StartBlogAsync();
            TraceId traceId = Spans.NewTraceId();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/6");
            request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
            using HttpResponseMessage response = await blog.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Spans.WaitForAsync(s => s.TraceId == traceId && s.Name == "GET /blogs/posts/{id:int}");
            List<SpanRecord> spans = await Spans.WaitForTraceAsync(traceId, 9 + 4);
            foreach (string effect in new[] { "db.get blog_post", "http.get comments", "cache.get author" })
            {
                SpanRecord span = Assert.Single(spans, s => s.Name == effect);
                SpanRecord wait = Assert.Single(spans, s => s.Name == "job.queue_wait" && s.ParentSpanId == span.SpanId);
                Assert.Equal("effects", wait.Str("job.queue"));
            }
            SpanRecord comments = Assert.Single(spans, s => s.Name == "http.get comments");
            SpanRecord park = Assert.Single(spans, s => s.Name == "job.park" && s.ParentSpanId == comments.SpanId);
            Assert.Equal("io_wait", park.Str("job.park.cause"));
        }
        finally
        {
            OtelGen.Jobs.JobSettings.PromoteQueueMs = 3_600_000;
            OtelGen.Jobs.JobSettings.PromoteParkMs = 3_600_000;
        }
    }

    [Fact]
    public async Task Unknown_post_is_404_with_unset_status()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/4242");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage response = await blog.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        SpanRecord root = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
        Assert.Equal("GET /blogs/posts/{id:int}", root.Name);
        Assert.Equal("404", root.Str("http.response.status_code"));
        Assert.Equal(SpanStatusCode.Unset, root.StatusCode);
        Assert.False(root.Has("error.type"));
        Assert.DoesNotContain(Spans.OfTrace(traceId), s => s.Name == "step.render");
    }

    [Fact]
    public async Task Failing_route_is_500_with_error_status_and_the_exception()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/fail");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage response = await blog.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        SpanRecord root = await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
        Assert.Equal("GET /blogs/fail", root.Name);
        Assert.Equal(SpanStatusCode.Error, root.StatusCode);
        Assert.Equal("500", root.Str("http.response.status_code"));
        Assert.Equal("System.InvalidOperationException", root.Str("error.type"));
        Assert.Contains(root.Events.Take(root.EventCount), e => e.Name == "exception");
    }

    [Fact]
    public async Task Request_without_a_route_is_named_by_its_method()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        string probe = Guid.NewGuid().ToString("N");
        using HttpResponseMessage response = await blog.Client.GetAsync("/no/such/page?probe=" + probe);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        SpanRecord root = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe);
        Assert.Equal("GET", root.Name);
        Assert.False(root.Has("http.route"));
        Assert.Equal(SpanStatusCode.Unset, root.StatusCode);
    }

    [Fact]
    public async Task Requests_from_one_client_share_one_address_and_host_string_across_connections()
    {
        // Spans keep their attribute strings alive while the ring holds them: a string made per request
        // would be promoted by every collection. The same client and Host give the same string objects,
        // also over two connections (an IPAddress caches its text, but each connection has its own).
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        string first = Guid.NewGuid().ToString("N"), second = Guid.NewGuid().ToString("N");
        foreach (string probe in new[] { first, second })
        {
            using var connection = new HttpClient { BaseAddress = new Uri(blog.BaseUrl) };
            using HttpResponseMessage response = await connection.GetAsync("/no/such/page?probe=" + probe);
        }
        SpanRecord a = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + first);
        SpanRecord b = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + second);
        Assert.True(a.TryGetAttribute("client.address", out AttributeValue clientA));
        Assert.True(b.TryGetAttribute("client.address", out AttributeValue clientB));
        Assert.Equal("127.0.0.1", clientA.AsString());
        Assert.Same(clientA.AsString(), clientB.AsString());
        Assert.True(a.TryGetAttribute("server.address", out AttributeValue hostA));
        Assert.True(b.TryGetAttribute("server.address", out AttributeValue hostB));
        Assert.Same(hostA.AsString(), hostB.AsString());
    }

    [Theory]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")] // all-zero trace id
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")] // all-zero parent id
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")] // forbidden version
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")] // uppercase hex
    [InlineData("garbage")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")] // version 00 with more fields
    public async Task Invalid_traceparent_starts_a_new_trace_drops_tracestate_and_never_fails(string traceparent)
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        string probe = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/3?probe=" + probe);
        request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        request.Headers.TryAddWithoutValidation("tracestate", "congo=t61rcWkgMzE");
        request.Headers.TryAddWithoutValidation("baggage", "not a valid baggage header;;;=");
        using HttpResponseMessage response = await blog.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        SpanRecord root = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe);
        Assert.False(root.ParentSpanId.IsValid);
        Assert.True(root.TraceId.IsValid);
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", root.TraceId.ToHexString());
        Assert.Null(root.TraceState);
        // The new trace is whole: the stub call below it carries the new context, not the dropped one.
        List<SpanRecord> spans = await Spans.WaitForTraceAsync(root.TraceId, 9);
        SpanRecord stub = Assert.Single(spans, s => s.Name == "GET /stub/comments/{id:int}");
        Assert.Null(stub.TraceState);
    }

    [Fact]
    public async Task Two_traceparent_headers_are_invalid_and_start_a_new_trace()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        TraceId traceId = Spans.NewTraceId();
        string probe = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/3?probe=" + probe);
        request.Headers.TryAddWithoutValidation("traceparent", new[] { Spans.TraceParent(traceId, SpanId.NewRandom()), Spans.TraceParent(traceId, SpanId.NewRandom()) });
        using HttpResponseMessage response = await blog.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        SpanRecord root = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe);
        Assert.NotEqual(traceId, root.TraceId);
        Assert.False(root.ParentSpanId.IsValid);
    }

    [Fact]
    public async Task Tracestate_is_carried_through_the_process_to_the_next_hop()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/8");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        request.Headers.Add("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
        using HttpResponseMessage response = await blog.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        List<SpanRecord> spans = await Spans.WaitForTraceAsync(traceId, 9);
        Assert.Equal(9, spans.Count);
        Assert.All(spans, s => Assert.Equal("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", s.TraceState));
    }

    [Fact]
    public async Task Tracing_off_records_nothing_and_serves_normally()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        TraceId traceId = Spans.NewTraceId();
        Tracing.Disable();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/9");
            request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
            using HttpResponseMessage response = await blog.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Tracing.Enable();
        }
        Assert.Empty(Spans.OfTrace(traceId));
    }
}
