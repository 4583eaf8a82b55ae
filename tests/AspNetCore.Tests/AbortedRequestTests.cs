using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OtelGen.Folds;
using OtelGen.Metrics;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// A request the client aborts, on real Kestrel: the HTTP semantic conventions' span (no
/// <c>http.response.status_code</c>, since none was sent; <c>error.type</c>; ERROR), the duration metric
/// without a status code, and no error in the route aggregate or the dashboard's strip.
/// </summary>
public sealed class AbortedRequestTests
{
    [Theory]
    [InlineData("/abort/throws")]   // the endpoint observes RequestAborted: TaskCanceledException escapes
    [InlineData("/abort/swallows")] // the endpoint catches the cancellation and returns without writing
    public async Task A_request_the_client_aborts_has_no_status_code_and_is_not_a_server_error(string route)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplication app = RunningApp.NewBuilder().Build();
        app.MapGet("/abort/throws", async (HttpContext context) =>
        {
            entered.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            return Results.Ok("late");
        });
        app.MapGet("/abort/swallows", async (HttpContext context) =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return Results.Empty;
        });
        app.MapOtelGenDashboard();
        using var metrics = new MetricsCollector(MetricsCollectorOptions.OtelGenOnly());
        await using RunningApp running = await RunningApp.StartAsync(app);
        LiveRouteAggregates live = LiveRouteAggregates.Start();
        long errorsBefore = live.Summaries().Where(r => r.Route == route).Sum(r => r.Errors);
        long requestsBefore = live.Summaries().Where(r => r.Route == route).Sum(r => r.Requests);

        using (var cancel = new CancellationTokenSource())
        {
            Task<HttpResponseMessage> call = running.Client.GetAsync(route, cancel.Token);
            await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
            cancel.Cancel(); // HttpClient aborts the connection mid-request
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }

        SpanRecord span = await Spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.Str("http.route") == route);
        Assert.Equal("GET " + route, span.Name);
        Assert.False(span.Has("http.response.status_code"), "no response was sent, so no status code: " + span.Str("http.response.status_code"));
        Assert.Equal("request_aborted", span.Str("error.type"));
        Assert.Equal(SpanStatusCode.Error, span.StatusCode);
        if (route == "/abort/throws")
        {
            // The exception that escaped is kept as the exception event.
            Assert.Contains(span.Events.Take(span.EventCount), e => e.Name == "exception");
        }

        // http.server.request.duration: error.type, and no status code (not a 5xx).
        MetricData duration = metrics.Collect().Find("http.server.request.duration")!;
        MetricDataPoint point = Assert.Single(duration.Points, p => p.Tags.Any(t => t.Key == "http.route" && (string?)t.Value == route));
        Assert.DoesNotContain(point.Tags, t => t.Key == "http.response.status_code");
        Assert.Contains(point.Tags, t => t.Key == "error.type" && (string?)t.Value == "request_aborted");

        // The route aggregate and the dashboard's strip: one more request, no more errors.
        RouteSummary summary = Assert.Single(live.Summaries(), r => r.Route == route);
        Assert.Equal(requestsBefore + 1, summary.Requests);
        Assert.Equal(errorsBefore, summary.Errors);
        string html = await running.Client.GetStringAsync("/otel");
        Assert.Contains($"<td>GET {route}</td><td class=\"num\">{summary.Requests}</td><td class=\"num\">{summary.Errors}</td>", html);
    }
}
