using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Jobs;

public sealed class HttpServerSpanTests : IDisposable
{
    private static readonly SpanDescriptor Child = new("child", ActivityKind.Internal);

    private static readonly HttpServerRequest Request = new()
    {
        Method = "POST",
        Route = "/posts/{id}/comments",
        Scheme = "https",
        Path = "/posts/7/comments",
        Query = "draft=1",
        ServerAddress = "blog.example",
        ServerPort = 443,
        ClientAddress = "10.1.2.3",
        UserAgent = "curl/8.5",
        ProtocolVersion = "2",
    };

    public HttpServerSpanTests()
    {
        Tracing.Enable();
        HttpServerSpan.EmitOldAttributes = false;
    }

    public void Dispose() => HttpServerSpan.EmitOldAttributes = false;

    private static SpanRecord Finish(HttpServerSpan span, int? status = null)
    {
        TraceId traceId = span.Context.TraceId;
        SpanId spanId = span.Context.SpanId;
        if (status is { } code)
        {
            span.SetStatusCode(code);
        }
        span.End();
        return Tracing.Ring.Snapshot().Single(s => s.TraceId == traceId && s.SpanId == spanId);
    }

    private static string? Attr(SpanRecord span, string key) => span.TryGetAttribute(key, out AttributeValue v) ? v.ToString() : null;

    [Fact]
    public void Server_span_carries_the_stable_http_conventions()
    {
        SpanRecord span = Finish(HttpServerSpan.Start(Request), 201);
        Assert.Equal("POST /posts/{id}/comments", span.Name);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(SpanStatusCode.Unset, span.StatusCode);
        Assert.Equal(
            new[]
            {
                "http.request.method=POST", "http.route=/posts/{id}/comments", "url.scheme=https", "url.path=/posts/7/comments",
                "url.query=draft=1", "server.address=blog.example", "server.port=443", "client.address=10.1.2.3",
                "user_agent.original=curl/8.5", "network.protocol.version=2", "http.response.status_code=201",
            },
            Enumerable.Range(0, span.TotalAttributeCount).Select(i => span.AttributeAt(i).ToString()));
        Assert.Equal(AttributeType.Long, span.Attributes.Single(a => a.Key == "server.port").Value.Type);
        Assert.Equal(AttributeType.Long, span.Attributes.Single(a => a.Key == "http.response.status_code").Value.Type);
    }

    // This test checks the deprecated keys on purpose (the migration opt-in), so the semconv analyzer's
    // deprecation diagnostics do not apply here.
#pragma warning disable OTG2001, OTG2002
    [Fact]
    public void Old_attribute_keys_only_when_opted_in()
    {
        SpanRecord plain = Finish(HttpServerSpan.Start(Request), 200);
        Assert.Null(Attr(plain, "http.method"));
        Assert.Null(Attr(plain, "http.status_code"));

        HttpServerSpan.EmitOldAttributes = true;
        SpanRecord both = Finish(HttpServerSpan.Start(Request), 200);
        Assert.Equal("POST", Attr(both, "http.method"));
        Assert.Equal("200", Attr(both, "http.status_code"));
        Assert.Equal("https", Attr(both, "http.scheme"));
        Assert.Equal("/posts/7/comments", Attr(both, "http.target"));
        Assert.Equal("blog.example", Attr(both, "net.host.name"));
        Assert.Equal("443", Attr(both, "net.host.port"));
        Assert.Equal("10.1.2.3", Attr(both, "net.sock.peer.addr"));
        Assert.Equal("curl/8.5", Attr(both, "http.user_agent"));
        Assert.Equal("2", Attr(both, "http.flavor"));
        // The stable keys are still there.
        Assert.Equal("POST", Attr(both, "http.request.method"));
        Assert.Equal("200", Attr(both, "http.response.status_code"));
    }
#pragma warning restore OTG2001, OTG2002

    [Theory]
    [InlineData("http/dup", true)]
    [InlineData("database, http/dup", true)]
    [InlineData("http", false)]
    [InlineData(null, false)]
    public void The_standard_opt_in_variable_switches_old_keys_on(string? value, bool expected)
    {
        Environment.SetEnvironmentVariable("OTEL_SEMCONV_STABILITY_OPT_IN", value);
        try
        {
            Assert.Equal(expected, HttpServerSpan.ReadOptIn());
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTEL_SEMCONV_STABILITY_OPT_IN", null);
        }
    }

    [Theory]
    [InlineData(200, SpanStatusCode.Unset, null)]
    [InlineData(400, SpanStatusCode.Unset, null)]
    [InlineData(404, SpanStatusCode.Unset, null)]
    [InlineData(499, SpanStatusCode.Unset, null)]
    [InlineData(500, SpanStatusCode.Error, "500")]
    [InlineData(503, SpanStatusCode.Error, "503")]
    public void Server_status_is_error_only_for_5xx(int status, SpanStatusCode expected, string? errorType)
    {
        SpanRecord span = Finish(HttpServerSpan.Start(Request), status);
        Assert.Equal(expected, span.StatusCode);
        Assert.Equal(errorType, Attr(span, "error.type"));
    }

    [Theory]
    [InlineData("GET", "/a", "GET /a", "GET", null)]
    [InlineData("GET", null, "GET", "GET", null)]
    [InlineData("get", "/a", "HTTP /a", "_OTHER", "get")]
    [InlineData("PURGE", null, "HTTP", "_OTHER", "PURGE")]
    public void Names_and_methods_follow_the_conventions(string method, string? route, string name, string normalized, string? original)
    {
        SpanRecord span = Finish(HttpServerSpan.Start(new HttpServerRequest { Method = method, Route = route, Path = "/a" }), 200);
        Assert.Equal(name, span.Name);
        Assert.Equal(normalized, Attr(span, "http.request.method"));
        Assert.Equal(original, Attr(span, "http.request.method_original"));
        Assert.Equal(route, Attr(span, "http.route"));
    }

    [Fact]
    public void The_route_known_after_start_renames_the_span()
    {
        HttpServerSpan span = HttpServerSpan.Start(new HttpServerRequest { Method = "GET", Path = "/posts/9" });
        span.SetRoute("/posts/{id}");
        SpanRecord record = Finish(span, 200);
        Assert.Equal("GET /posts/{id}", record.Name);
        Assert.Equal("/posts/{id}", Attr(record, "http.route"));
        Assert.Same(HttpServerSpan.SpanName("GET", "/posts/{id}"), HttpServerSpan.SpanName("GET", "/posts/{id}"));
    }

    [Fact]
    public void Unhandled_exception_is_error_and_a_handled_one_follows_the_status_code()
    {
        HttpServerSpan failed = HttpServerSpan.Start(Request);
        failed.RecordException(new InvalidOperationException("boom"));
        SpanRecord unhandled = Finish(failed);
        Assert.Equal(SpanStatusCode.Error, unhandled.StatusCode);
        Assert.Equal("exception", unhandled.Events[0].Name);
        Assert.Equal("System.InvalidOperationException", Attr(unhandled, "error.type"));

        HttpServerSpan handled = HttpServerSpan.Start(Request);
        handled.RecordException(new ArgumentException("no such post"));
        SpanRecord notFound = Finish(handled, 404);
        Assert.Equal(SpanStatusCode.Unset, notFound.StatusCode);
        Assert.Null(notFound.StatusMessage);
        Assert.Equal("exception", notFound.Events[0].Name);

        HttpServerSpan crashed = HttpServerSpan.Start(Request);
        crashed.RecordException(new TimeoutException("db"));
        SpanRecord error = Finish(crashed, 500);
        // The exception's type says more than the status code.
        Assert.Equal("System.TimeoutException", Attr(error, "error.type"));
        Assert.Equal(SpanStatusCode.Error, error.StatusCode);
    }

    [Fact]
    public void Continues_the_incoming_traceparent()
    {
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        HttpServerSpan span = HttpServerSpan.Start(Request, traceparent, "vendor=x");
        SpanRecord record = Finish(span, 200);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", record.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", record.ParentSpanId.ToHexString());
        Assert.True(record.ParentIsRemote);
        Assert.Equal("vendor=x", record.TraceState);
    }

    [Fact]
    public void Without_incoming_headers_the_request_starts_a_new_trace()
    {
        using var outer = SpanScope.Start(Child);
        HttpServerSpan fromCurrent = HttpServerSpan.Start(Request);
        Assert.Equal(outer.Context.TraceId, fromCurrent.Context.TraceId);
        fromCurrent.End();
        HttpServerSpan fromHeaders = HttpServerSpan.Start(Request, traceparent: null);
        Assert.NotEqual(outer.Context.TraceId, fromHeaders.Context.TraceId);
        Assert.False(fromHeaders.Context.IsRemote);
        fromHeaders.End();
    }

    [Fact]
    public async Task Incoming_baggage_is_carried_by_the_span_and_its_children_and_gone_after_it_ends()
    {
        Baggage incoming = BaggageHeader.Parse("tenant=acme,region=eu");
        Assert.True(TraceParent.TryParse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null, out SpanContext parent));
        HttpServerSpan span = HttpServerSpan.StartRemote(Request, parent, incoming);
        Assert.Equal("acme", TraceContext.CurrentBaggage.Get("tenant"));
        await Task.Yield();
        SpanContext childContext;
        using (var child = SpanScope.Start(Child))
        {
            childContext = child.Context;
            Assert.Equal("eu", TraceContext.CurrentBaggage.Get("region"));
        }
        SpanContext server = span.Context;
        span.End();
        Assert.Null(TraceContext.CurrentBaggage.Get("tenant"));
        SpanRecord record = Tracing.Ring.Snapshot().Single(s => s.SpanId == server.SpanId);
        Assert.Equal(parent.SpanId, record.ParentSpanId);
        Assert.Equal(server.SpanId, Tracing.Ring.Snapshot().Single(s => s.SpanId == childContext.SpanId).ParentSpanId);
    }

    [Fact]
    public void A_trace_id_without_a_span_id_makes_a_root_in_that_trace_not_a_child_of_the_ambient_span()
    {
        using var outer = SpanScope.Start(Child);
        Assert.True(TraceId.TryParse("4bf92f3577b34da6a3ce929d0e0e4736", out TraceId hostTrace));
        HttpServerSpan span = HttpServerSpan.StartRemote(Request, new SpanContext(hostTrace, default, 1), Baggage.Empty);
        SpanRecord record = Finish(span, 200);
        Assert.Equal(hostTrace, record.TraceId);
        Assert.Equal(default, record.ParentSpanId);
        Assert.NotEqual(outer.Context.TraceId, record.TraceId);
    }

    [Fact]
    public async Task Is_current_for_the_async_flow_until_it_ends()
    {
        SpanContext before = TraceContext.Current;
        HttpServerSpan span = HttpServerSpan.Start(Request);
        SpanContext server = span.Context;
        await Task.Yield();
        SpanContext childContext;
        using (var child = SpanScope.Start(Child))
        {
            childContext = child.Context;
        }
        await Task.Run(() => Assert.Equal(server.SpanId, TraceContext.Current.SpanId));
        span.SetStatusCode(200);
        span.End();
        Assert.Equal(before, TraceContext.Current);
        SpanRecord record = Tracing.Ring.Snapshot().Single(s => s.SpanId == childContext.SpanId);
        Assert.Equal(server.SpanId, record.ParentSpanId);
    }

    [Fact]
    public void Helpers_apply_the_conventions_to_a_span_started_another_way()
    {
        TraceId traceId;
        using (var scope = SpanScope.Start(Child))
        {
            traceId = scope.Context.TraceId;
            HttpServerSpan.ApplyRequest(scope, Request);
            HttpServerSpan.ApplyStatusCode(scope, 502);
        }
        SpanRecord span = Tracing.Ring.Snapshot().Single(s => s.TraceId == traceId);
        Assert.Equal("POST /posts/{id}/comments", span.Name);
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        Assert.Equal("502", Attr(span, "error.type"));
    }

    [Fact]
    public void Status_policy_table()
    {
        Assert.Equal(SpanStatusCode.Unset, SpanStatusPolicy.ForEffect(succeeded: true, optional: false));
        Assert.Equal(SpanStatusCode.Error, SpanStatusPolicy.ForEffect(succeeded: false, optional: false));
        Assert.Equal(SpanStatusCode.Unset, SpanStatusPolicy.ForEffect(succeeded: false, optional: true));
        Assert.Equal(SpanStatusCode.Ok, SpanStatusPolicy.ForStep(succeeded: true, systemFailure: false));
        Assert.Equal(SpanStatusCode.Ok, SpanStatusPolicy.ForStep(succeeded: false, systemFailure: false));
        Assert.Equal(SpanStatusCode.Error, SpanStatusPolicy.ForStep(succeeded: false, systemFailure: true));
        Assert.Null(SpanStatusPolicy.HttpServerErrorType(404));
        Assert.Same(SpanStatusPolicy.HttpServerErrorType(504), SpanStatusPolicy.HttpServerErrorType(504));
        Assert.Equal("_OTHER", SpanStatusPolicy.HttpServerErrorType(600));
    }
}
