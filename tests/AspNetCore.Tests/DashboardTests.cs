using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OtelGen.AspNetCore.Dashboard;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>/otel, /otel/stream and /metrics on real Kestrel.</summary>
public sealed class DashboardTests
{
    [Fact]
    public async Task Stream_emits_a_trace_event_after_a_request()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var stream = new HttpRequestMessage(HttpMethod.Get, "/otel/stream");
        using HttpResponseMessage response = await blog.Client.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        Assert.Equal("retry: 1000", await reader.ReadLineAsync(cancel.Token));

        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/posts/12");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        using HttpResponseMessage page = await blog.Client.SendAsync(request, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        string hex = traceId.ToHexString();
        string? eventName = null;
        while (true)
        {
            string? line = await reader.ReadLineAsync(cancel.Token);
            Assert.NotNull(line);
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line.Substring(7);
                continue;
            }
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }
            using JsonDocument data = JsonDocument.Parse(line.Substring(6));
            // The in-process comments stub is a local root too: its SERVER span ends first and is
            // announced, then the trace is announced again under the request's root.
            if (data.RootElement.GetProperty("id").GetString() != hex || data.RootElement.GetProperty("name").GetString() != "GET /blogs/posts/{id:int}")
            {
                continue;
            }
            Assert.Equal("trace", eventName);
            Assert.Equal("GET /blogs/posts/{id:int}", data.RootElement.GetProperty("name").GetString());
            Assert.Contains("data-trace=\"" + hex + "\"", data.RootElement.GetProperty("row").GetString());
            string waterfall = data.RootElement.GetProperty("waterfall").GetString()!;
            Assert.StartsWith("<svg", waterfall);
            Assert.Equal(9, CountOf(waterfall, "<rect class=\"span "));
            Assert.Contains("GET /blogs/posts/{id:int}", data.RootElement.GetProperty("metrics").GetString());
            return;
        }
    }

    [Fact]
    public async Task Page_lists_traces_with_all_text_escaped_and_serves_a_waterfall()
    {
        WebApplicationBuilder builder = RunningApp.NewBuilder();
        WebApplication app = builder.Build();
        app.MapGet("/evil", () =>
        {
            using (Tracing.StartSpan("<script>alert('x')</script>"))
            {
            }
            Tracing.CurrentSpan.SetAttribute("note", "<img src=x onerror=alert(1)>");
            return Results.Ok();
        });
        app.MapOtelGenDashboard();
        await using RunningApp running = await RunningApp.StartAsync(app);
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/evil");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        (await running.Client.SendAsync(request)).Dispose();
        await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);

        using HttpResponseMessage response = await running.Client.GetAsync("/otel");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        string html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-trace=\"" + traceId.ToHexString() + "\"", html);
        Assert.Contains("&lt;script&gt;alert(", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("<rect", html);

        using HttpResponseMessage svg = await running.Client.GetAsync("/otel/trace/" + traceId.ToHexString());
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
        string text = await svg.Content.ReadAsStringAsync();
        Assert.Equal(2, CountOf(text, "<rect class=\"span "));
        Assert.Contains("&lt;script&gt;", text);
        using HttpResponseMessage missing = await running.Client.GetAsync("/otel/trace/" + Spans.NewTraceId().ToHexString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // The dashboard's own requests are not traced (watching would fill what is watched).
        Assert.DoesNotContain(Tracing.Ring.Snapshot(), s => s.Kind == ActivityKind.Server && s.Str("url.path").StartsWith("/otel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_page_is_prometheus_text_with_per_route_counts()
    {
        await using RunningApp blog = await RunningApp.StartBlogAsync();
        // The first scrape attaches the collector (until then recording a measurement is free).
        using (HttpResponseMessage first = await blog.Client.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            // Never a blank page: either metrics, or a comment (ignored by Prometheus) saying why there are none yet.
            string firstText = await first.Content.ReadAsStringAsync();
            Assert.True(firstText.Contains("# TYPE ", StringComparison.Ordinal) || firstText == OtelGen.AspNetCore.Dashboard.DashboardEndpoints.FirstScrapeComment, firstText);
        }
        TraceId traceId = Spans.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blogs/fail");
        request.Headers.Add("traceparent", Spans.TraceParent(traceId, SpanId.NewRandom()));
        (await blog.Client.SendAsync(request)).Dispose();
        await Spans.WaitForAsync(s => s.TraceId == traceId && s.Kind == ActivityKind.Server);

        using HttpResponseMessage response = await blog.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Matches("http_server_request_duration_seconds_count\\{[^}]*http_route=\"/blogs/fail\"[^}]*\\} [1-9]", text);

        // The strip on the page: requests and errors per route.
        using HttpResponseMessage page = await blog.Client.GetAsync("/otel");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<td>GET /blogs/fail</td>", html);
    }

    [Fact]
    public async Task Strip_labels_unmatched_requests_and_unknown_methods_as_their_span_names()
    {
        WebApplication app = RunningApp.NewBuilder().Build();
        app.MapGet("/labelled", () => Results.Ok());
        app.MapMethods("/labelled-other", new[] { "FOO" }, () => Results.Ok());
        app.MapOtelGenDashboard();
        await using RunningApp running = await RunningApp.StartAsync(app);
        string probe = Guid.NewGuid().ToString("N");
        (await running.Client.GetAsync("/no/such/page?probe=" + probe)).Dispose();                               // 404, no route: span "GET"
        (await running.Client.SendAsync(new HttpRequestMessage(new HttpMethod("FOO"), "/nowhere?probe=" + probe))).Dispose(); // _OTHER, no route: span "HTTP"
        (await running.Client.SendAsync(new HttpRequestMessage(new HttpMethod("FOO"), "/labelled-other?probe=" + probe))).Dispose(); // _OTHER on a route
        (await running.Client.GetAsync("/labelled?probe=" + probe)).Dispose();
        SpanRecord get = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe && s.Str("url.path") == "/no/such/page");
        SpanRecord other = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe && s.Str("url.path") == "/nowhere");
        Assert.Equal("GET", get.Name);
        Assert.Equal("HTTP", other.Name);
        Assert.Equal("_OTHER", other.Str("http.request.method"));
        await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("url.query") == "probe=" + probe && s.Str("url.path") == "/labelled");

        string html = await running.Client.GetStringAsync("/otel");
        int at = html.IndexOf("<div id=\"metrics\">", StringComparison.Ordinal);
        string strip = html.Substring(at, html.IndexOf("</table>", at, StringComparison.Ordinal) - at); // not the trace rows below
        Assert.Contains("<td>GET</td>", strip);
        Assert.Contains("<td>HTTP</td>", strip);
        Assert.Contains("<td>GET /labelled</td>", strip);
        Assert.DoesNotContain("GET GET", strip);
        Assert.DoesNotContain("HTTP HTTP", strip);
    }

    [Theory]
    [InlineData("GET", "/items/{id}", "GET /items/{id}")]
    [InlineData("GET", "GET", "GET")]           // no route matched: the span name is the method
    [InlineData("_OTHER", "HTTP", "HTTP")]      // unknown method, no route
    [InlineData("_OTHER", "/items", "HTTP /items")]
    [InlineData(null, "nightly-job", "nightly-job")]
    public void Route_labels_follow_the_span_name_rules(string? method, string route, string label) =>
        Assert.Equal(label, DashboardHtml.RouteLabel(method, route));

    [Fact]
    public void Trace_rows_escape_span_names()
    {
        var root = new SpanRecord { TraceId = Spans.NewTraceId(), SpanId = SpanId.NewRandom(), Name = "<img src=x onerror=alert(1)>", Kind = ActivityKind.Server, StartUnixNano = 1_700_000_000_000_000_000, EndUnixNano = 1_700_000_000_002_000_000 };
        var spans = new System.Collections.Generic.List<SpanRecord> { root };
        string row = DashboardHtml.Row(new TraceView(1, root, spans), TraceSummary.Of(root, spans));
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", row);
        Assert.DoesNotContain("<img", row);
        Assert.Contains(OtelGen.Folds.SvgWaterfall.FormatDuration(2_000_000), row);
    }

    [Fact]
    public void A_row_marks_any_error_span_and_counts_the_ones_below_the_root()
    {
        TraceId trace = Spans.NewTraceId();
        SpanRecord Make(string name, SpanId parent, SpanStatusCode status) => new()
        {
            TraceId = trace, SpanId = SpanId.NewRandom(), ParentSpanId = parent, Name = name, Kind = ActivityKind.Internal, StatusCode = status,
            StartUnixNano = 1_700_000_000_000_000_000, EndUnixNano = 1_700_000_000_001_000_000,
        };
        SpanRecord root = Make("job", default, SpanStatusCode.Unset);
        SpanRecord failing = Make("step <1>", root.SpanId, SpanStatusCode.Error);
        SpanRecord fine = Make("step 2", root.SpanId, SpanStatusCode.Ok);
        string RowOf(SpanRecord r, params SpanRecord[] others)
        {
            var spans = new System.Collections.Generic.List<SpanRecord>(others) { r };
            return DashboardHtml.Row(new TraceView(1, r, spans), TraceSummary.Of(r, spans));
        }

        // A root that did not fail with a child that did: the red bar and a badge beside the root's own status.
        string childFailed = RowOf(root, failing, fine);
        Assert.StartsWith("<tr data-trace=\"" + trace.ToHexString() + "\" class=\"has-error\" data-error-spans=\"1\">", childFailed);
        Assert.Contains("<td><span class=\"UNSET\">UNSET</span><span class=\"span-errors\" title=\"1 span below the root has status ERROR\">⚠ 1 span ERROR</span></td>", childFailed);
        Assert.Contains("<td class=\"num\">3</td>", childFailed);

        // A failed root and a failed child: both counted, the badge counts the child.
        root.StatusCode = SpanStatusCode.Error;
        string both = RowOf(root, failing, Make("step 3", root.SpanId, SpanStatusCode.Error));
        Assert.Contains("class=\"has-error\" data-error-spans=\"3\"", both);
        Assert.Contains("<span class=\"ERROR\">ERROR</span><span class=\"span-errors\" title=\"2 spans below the root have status ERROR\">⚠ 2 spans ERROR</span>", both);

        // Only the root failed: the bar, no badge (the status says it).
        string rootOnly = RowOf(root, fine);
        Assert.Contains("class=\"has-error\" data-error-spans=\"1\"", rootOnly);
        Assert.DoesNotContain("span-errors", rootOnly);

        // Nothing failed: no mark at all.
        root.StatusCode = SpanStatusCode.Ok;
        string ok = RowOf(root, fine);
        Assert.DoesNotContain("has-error", ok);
        Assert.DoesNotContain("span-errors", ok);
        Assert.Contains("<span class=\"OK\">OK</span></td>", ok);
    }

    [Fact]
    public async Task Error_traces_are_marked_in_the_page_the_json_and_the_stream()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, "/otel/stream");
        using HttpResponseMessage stream = await app.Client.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cancel.Token));
        Assert.Equal("retry: 1000", await reader.ReadLineAsync(cancel.Token));

        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string page = await app.Client.GetStringAsync("/otel");
        // The checkout answered 200 (its SERVER span is UNSET) while its child failed: marked.
        Assert.Contains(Row(t.Checkout) + " class=\"has-error\" data-error-spans=\"1\">", page);
        Assert.Contains("<span class=\"UNSET\">UNSET</span><span class=\"span-errors\"", page);
        Assert.Contains(Row(t.Fast) + ">", page);
        Assert.Contains(Row(t.Slow) + ">", page);

        async Task<int> ErrorSpans(TraceId id)
        {
            using JsonDocument json = JsonDocument.Parse(await app.Client.GetStringAsync("/otel/api/traces/" + id.ToHexString()));
            return json.RootElement.GetProperty("errorSpans").GetInt32();
        }
        Assert.Equal(1, await ErrorSpans(t.Checkout));
        Assert.Equal(0, await ErrorSpans(t.Fast));

        // The event stream's row carries the same mark, and the event its count.
        string checkout = t.Checkout.ToHexString();
        while (true)
        {
            string? line = await reader.ReadLineAsync(cancel.Token);
            Assert.NotNull(line);
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }
            using JsonDocument data = JsonDocument.Parse(line.Substring(6));
            if (data.RootElement.GetProperty("id").GetString() != checkout)
            {
                continue;
            }
            Assert.True(data.RootElement.GetProperty("error").GetBoolean());
            Assert.Equal(1, data.RootElement.GetProperty("errorSpans").GetInt32());
            Assert.Equal("Unset", data.RootElement.GetProperty("status").GetString());
            Assert.StartsWith(Row(t.Checkout) + " class=\"has-error\" data-error-spans=\"1\">", data.RootElement.GetProperty("row").GetString());
            Assert.Contains("⚠ 1 span ERROR", data.RootElement.GetProperty("row").GetString());
            break;
        }
    }

    [Fact]
    public async Task Trace_json_resource_has_what_the_running_exporter_was_given_in_code()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string url = "/otel/api/traces/" + t.Fast.ToHexString();

        static System.Collections.Generic.Dictionary<string, string> Resource(string text)
        {
            using JsonDocument json = JsonDocument.Parse(text);
            return json.RootElement.GetProperty("resource").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value").ToString());
        }

        // No exporter: the environment's resource only.
        Assert.False(Resource(await app.Client.GetStringAsync(url)).ContainsKey(DebugApp.ResourceKey));

        using (var exporter = new DebugApp.ExporterFromCode())
        {
            string text = await app.Client.GetStringAsync(url);
            Assert.DoesNotContain("<", text);
            Assert.Contains("\\u003Cstaging\\u003E", text);
            var resource = Resource(text);
            Assert.Equal(DebugApp.ResourceValue, resource[DebugApp.ResourceKey]);
            Assert.Equal("shop", resource["service.namespace"]);
            Assert.Equal(DebugApp.CodeServiceName, resource["service.name"]);
            Assert.Equal("otelgen", resource["telemetry.sdk.name"]);
            // Exactly what the exporter reports.
            Assert.Equal(exporter.Exporter.Resource.Attributes.Select(a => a.Key), resource.Keys);

            // A service name given to the dashboard in code still replaces service.name (and only that).
            await using RunningApp named = await DebugApp.StartAsync(o => o.ServiceName = "dashboard-name");
            DebugApp.Traces n = await DebugApp.RequestAllAsync(named);
            var renamed = Resource(await named.Client.GetStringAsync("/otel/api/traces/" + n.Fast.ToHexString()));
            Assert.Equal("dashboard-name", renamed["service.name"]);
            Assert.Equal(DebugApp.ResourceValue, renamed[DebugApp.ResourceKey]);
        }

        // The exporter stopped: back to the environment's resource.
        Assert.False(Resource(await app.Client.GetStringAsync(url)).ContainsKey(DebugApp.ResourceKey));
    }

    [Fact]
    public void The_pages_script_gets_the_base_path_as_an_escaped_string_literal()
    {
        // A configured dashboard path with quotes and a closing script tag must neither end the string nor the script.
        string page = DashboardHtml.Page("/o\"t'</script><b>&", "svc", new(), DashboardHtml.EmptyWaterfall, "", new());
        Assert.Contains("const base=\"/o\\u0022t\\u0027\\u003C/script\\u003E\\u003Cb\\u003E\\u0026\";", page);
        Assert.DoesNotContain("</script><b>", page);
        // What JsonSerializer.Serialize(string) writes (the page used it before it had to work without reflection).
        Assert.Contains("const base=" + JsonSerializer.Serialize("/o\"t'</script><b>&") + ";", page);
        // The literal reads back as the path.
        int start = page.IndexOf("const base=", StringComparison.Ordinal) + "const base=".Length;
        Assert.Equal("/o\"t'</script><b>&", JsonSerializer.Deserialize<string>(page[start..page.IndexOf(';', start)]));
    }

    [Theory]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("::1", false, true)]
    [InlineData("::ffff:127.0.0.1", false, true)]
    [InlineData("10.1.2.3", false, false)]
    [InlineData("2001:db8::1", false, false)]
    [InlineData("10.1.2.3", true, true)]
    public void Dashboard_answers_loopback_only_unless_remote_is_opted_in(string address, bool allowRemote, bool allowed)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        Assert.Equal(allowed, DashboardEndpoints.IsAllowed(context, new OtelGenAspNetCoreOptions { DashboardAllowRemote = allowRemote }));
    }

    [Fact]
    public void Remote_dashboard_opt_in_reads_the_environment()
    {
        Environment.SetEnvironmentVariable("OTELGEN_DASHBOARD_ALLOW_REMOTE", "true");
        try
        {
            Assert.True(new OtelGenAspNetCoreOptions().DashboardAllowRemote);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTELGEN_DASHBOARD_ALLOW_REMOTE", null);
        }
        Assert.False(new OtelGenAspNetCoreOptions().DashboardAllowRemote);
    }

    [Fact]
    public async Task Trace_json_has_every_spans_details_with_hostile_values_escaped()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces traces = await DebugApp.RequestAllAsync(app);
        string hex = traces.Checkout.ToHexString();

        using HttpResponseMessage response = await app.Client.GetAsync("/otel/api/traces/" + hex);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        // Markup characters never appear raw in the JSON: the encoder writes \u003C, \u0022, \u0027, \u0026.
        Assert.DoesNotContain("<", text);
        Assert.DoesNotContain(">", text);
        Assert.DoesNotContain("'", text);
        Assert.Contains("\\u003Cscript\\u003E", text);

        using JsonDocument json = JsonDocument.Parse(text);
        JsonElement root = json.RootElement;
        Assert.Equal(hex, root.GetProperty("traceId").GetString());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("logs").ValueKind);
        Assert.Contains(root.GetProperty("resource").EnumerateArray(), a => a.GetProperty("key").GetString() == "service.name" && a.GetProperty("value").GetString()!.Length > 0);
        Assert.Contains(root.GetProperty("resource").EnumerateArray(), a => a.GetProperty("key").GetString() == "telemetry.sdk.name" && a.GetProperty("value").GetString() == "otelgen");

        JsonElement[] spans = [.. root.GetProperty("spans").EnumerateArray()];
        JsonElement server = Assert.Single(spans, s => s.GetProperty("kind").GetString() == "SERVER");
        JsonElement child = Assert.Single(spans, s => s.GetProperty("name").GetString() == DebugApp.ChildName);
        Assert.Equal("GET /checkout/{id:int}", server.GetProperty("name").GetString());
        Assert.True(server.GetProperty("parentIsRemote").GetBoolean());
        Assert.Equal(server.GetProperty("spanId").GetString(), child.GetProperty("parentSpanId").GetString());
        Assert.Equal("INTERNAL", child.GetProperty("kind").GetString());
        Assert.True(child.GetProperty("durationNanos").GetInt64() >= 0);
        Assert.True(child.GetProperty("offsetNanos").GetInt64() >= 0);
        Assert.Equal("ERROR", child.GetProperty("status").GetProperty("code").GetString());
        Assert.Equal("card declined: <insufficient funds>", child.GetProperty("status").GetProperty("message").GetString());

        JsonElement Attr(JsonElement list, string key) => Assert.Single(list.EnumerateArray(), a => a.GetProperty("key").GetString() == key);
        JsonElement attributes = child.GetProperty("attributes");
        Assert.Equal(DebugApp.Hostile, Attr(attributes, "payment.note").GetProperty("value").GetString()); // exact text back, escaped only on the wire
        Assert.Equal("int", Attr(attributes, "retry.count").GetProperty("type").GetString());
        Assert.Equal(3, Attr(attributes, "retry.count").GetProperty("value").GetInt64());
        Assert.Equal(12.5, Attr(attributes, "payment.amount").GetProperty("value").GetDouble());
        Assert.False(Attr(attributes, "payment.captured").GetProperty("value").GetBoolean());
        Assert.Equal("string[]", Attr(attributes, "payment.tags").GetProperty("type").GetString());
        Assert.Equal(new[] { "card", "<b>" }, Attr(attributes, "payment.tags").GetProperty("value").EnumerateArray().Select(v => v.GetString()).ToArray());
        Assert.Equal(new long[] { 1, 2 }, Attr(attributes, "payment.attempts").GetProperty("value").EnumerateArray().Select(v => v.GetInt64()).ToArray());

        JsonElement[] events = [.. child.GetProperty("events").EnumerateArray()];
        JsonElement miss = Assert.Single(events, e => e.GetProperty("name").GetString() == "cache.miss");
        Assert.Equal(DebugApp.CacheKey, Attr(miss.GetProperty("attributes"), "cache.key").GetProperty("value").GetString());
        JsonElement exception = Assert.Single(events, e => e.GetProperty("name").GetString() == "exception");
        Assert.Equal("System.InvalidOperationException", Attr(exception.GetProperty("attributes"), "exception.type").GetProperty("value").GetString());
        Assert.Contains("ThrowDeclined", Attr(exception.GetProperty("attributes"), "exception.stacktrace").GetProperty("value").GetString());

        JsonElement link = Assert.Single(child.GetProperty("links").EnumerateArray());
        Assert.Equal(traces.Fast.ToHexString(), link.GetProperty("traceId").GetString());
        Assert.True(link.GetProperty("inDashboard").GetBoolean());
        Assert.Equal("retry of <previous>", Attr(link.GetProperty("attributes"), "link.reason").GetProperty("value").GetString());

        // The waterfall's rows carry the span ids the page looks up in this JSON.
        string svg = await app.Client.GetStringAsync("/otel/trace/" + hex);
        Assert.Contains("<g class=\"row\" data-span=\"" + child.GetProperty("spanId").GetString() + "\">", svg);
        Assert.Contains("<g class=\"row\" data-span=\"" + server.GetProperty("spanId").GetString() + "\">", svg);
    }

    [Fact]
    public async Task Trace_json_answers_404_for_a_trace_not_kept_or_not_an_id()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        using HttpResponseMessage missing = await app.Client.GetAsync("/otel/api/traces/" + Spans.NewTraceId().ToHexString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (JsonDocument error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync()))
        {
            Assert.StartsWith("trace not found", error.RootElement.GetProperty("error").GetString());
        }
        using HttpResponseMessage bad = await app.Client.GetAsync("/otel/api/traces/%3Cscript%3E");
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
        string text = await bad.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", text);
        using (JsonDocument error = JsonDocument.Parse(text))
        {
            Assert.StartsWith("not a trace id", error.RootElement.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Page_filters_traces_by_errors_route_and_duration_from_the_query_string()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);
        string fast = Row(t.Fast), checkout = Row(t.Checkout), slow = Row(t.Slow);

        string all = await app.Client.GetStringAsync("/otel");
        Assert.Contains(fast, all);
        Assert.Contains(checkout, all);
        Assert.Contains(slow, all);

        // Errors only: the checkout's SERVER span is not ERROR (200), its child is: the trace counts.
        string errors = await app.Client.GetStringAsync("/otel?errors=1");
        Assert.Contains(checkout, errors);
        Assert.DoesNotContain(fast, errors);
        Assert.DoesNotContain(slow, errors);
        Assert.Contains("name=\"errors\" value=\"1\" checked", errors); // the form shows the filter (a link reproduces the view)
        Assert.Contains("<div id=\"waterfall\" data-trace=\"" + t.Checkout.ToHexString() + "\">", errors);

        // Route: the SERVER span's http.route (substring, any case).
        string routed = await app.Client.GetStringAsync("/otel?route=%2FSLOW");
        Assert.Contains(slow, routed);
        Assert.DoesNotContain(fast, routed);
        Assert.DoesNotContain(checkout, routed);
        Assert.Contains("name=\"route\" list=\"route-list\" value=\"/SLOW\"", routed);

        // Minimum duration: /slow waited 80 ms. Whether /fast is listed depends only on its recorded duration.
        string longer = await app.Client.GetStringAsync("/otel?min_ms=50");
        Assert.Contains(slow, longer);
        long fastNanos = (await Spans.WaitForAsync(s => s.TraceId == t.Fast && s.Kind == ActivityKind.Server)).DurationNanos;
        Assert.Equal(fastNanos >= 50_000_000, longer.Contains(fast, StringComparison.Ordinal));

        // Combined.
        string none = await app.Client.GetStringAsync("/otel?errors=1&route=slow");
        Assert.DoesNotContain(slow, none);
        Assert.DoesNotContain(checkout, none);
        Assert.Contains("No kept trace matches the filters.", none);
    }

    [Fact]
    public async Task Page_finds_a_trace_by_id_and_says_clearly_when_it_is_not_kept()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        DebugApp.Traces t = await DebugApp.RequestAllAsync(app);

        // The newest trace is /slow; finding the checkout shows (and pins) its waterfall instead.
        string found = await app.Client.GetStringAsync("/otel?trace=" + t.Checkout.ToHexString().ToUpperInvariant());
        Assert.Contains("<div id=\"waterfall\" data-trace=\"" + t.Checkout.ToHexString() + "\">", found);
        Assert.Contains("let pinned=\"" + t.Checkout.ToHexString() + "\";", found);
        Assert.DoesNotContain("id=\"notice\"", found);

        string gone = Spans.NewTraceId().ToHexString();
        string missing = await app.Client.GetStringAsync("/otel?trace=" + gone);
        Assert.Contains("<p id=\"notice\" class=\"notice\">Trace " + gone + " is not in the dashboard", missing);

        string hostile = await app.Client.GetStringAsync("/otel?trace=" + Uri.EscapeDataString("\"><script>alert(1)</script>"));
        Assert.Contains("is not a trace id", hostile);
        Assert.DoesNotContain("<script>alert(1)", hostile);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", hostile);
    }

    [Fact]
    public async Task Filter_values_are_escaped_in_the_form_and_the_script()
    {
        await using RunningApp app = await DebugApp.StartAsync();
        string route = "\"></script><script>alert('r')</script>";
        string page = await app.Client.GetStringAsync("/otel?route=" + Uri.EscapeDataString(route) + "&min_ms=abc&errors=maybe");
        Assert.DoesNotContain("<script>alert", page);
        Assert.Contains("value=\"&quot;&gt;&lt;/script&gt;&lt;script&gt;alert(&#39;r&#39;)&lt;/script&gt;\"", page);
        Assert.Contains("const filter={route:" + JsonSerializer.Serialize(route.ToLowerInvariant()) + ",errors:false,minNanos:0};", page);
    }

    // The start of a trace's row (an error trace's row has a class after its id).
    private static string Row(TraceId id) => "<tr data-trace=\"" + id.ToHexString() + "\"";

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
