using System.Diagnostics;
using System;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtelGen.AspNetCore;
using OtelGen.Context;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Logging.Tests;

/// <summary>
/// Out of the box in ASP.NET Core: <c>services.AddOtelGen()</c> alone, the host's own ActivityTrackingOptions
/// (SpanId, TraceId, ParentId), a real Kestrel request. The host's request Activity is current for the whole
/// request; log lines must name OtelGen's spans, which are the ones exported.
/// </summary>
public sealed class AspNetCoreTests
{
    private static SpanContext s_traced;

    private static SpanContext HandlerWork(ILogger log)
    {
        log.LogInformation("in the handler");
        s_traced = Work.Log(log, "in the traced method");
        return s_traced;
    }

    /// <summary>
    /// A real Kestrel app with OtelGen.AspNetCore's <c>AddOtelGen()</c> (and <paramref name="configure"/> around it), one
    /// request with a traceparent; returns what the app logged and the request's SERVER span.
    /// </summary>
    private static async Task<(CapturingProvider Logs, SpanRecord Server, TraceId Trace)> RequestAsync(
        Action<WebApplicationBuilder>? before = null, Action<WebApplicationBuilder>? after = null)
    {
        var provider = new CapturingProvider();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new[] { "--urls", "http://127.0.0.1:0" });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(provider);
        before?.Invoke(builder);
        builder.Services.AddOtelGen();
        after?.Invoke(builder);
        await using WebApplication app = builder.Build();
        app.MapGet("/work", context =>
        {
            HandlerWork(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Handler"));
            return context.Response.WriteAsync("done");
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        TraceId trace = TraceId.NewRandom();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, address.TrimEnd('/') + "/work");
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{RemoteParent}-01");
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal("done", await response.Content.ReadAsStringAsync());
        SpanRecord server = await ServerSpanAsync(trace);
        await app.StopAsync();
        return (provider, server, trace);
    }

    private const string RemoteParent = "b7ad6b7169203331";

    [Fact]
    public async Task A_request_handlers_lines_carry_the_SERVER_span_and_the_traced_methods_span()
    {
        (CapturingProvider provider, SpanRecord server, TraceId trace) = await RequestAsync();

        // The traced method's line: its span, the request's trace, the SERVER span as parent.
        Assert.Equal(trace, s_traced.TraceId);
        SpanRecord traced = Recorded.Span(s_traced);
        Assert.Equal(server.SpanId, traced.ParentSpanId);
        SeenScope ids = provider.Single("in the traced method").Ids!;
        Assert.NotNull(ids);
        Assert.Equal(new[] { "SpanId", "TraceId", "ParentId" }, ids.Keys);
        Assert.Equal(traced.SpanId.ToHexString(), ids["SpanId"]);
        Assert.Equal(trace.ToHexString(), ids["TraceId"]);
        Assert.Equal(server.SpanId.ToHexString(), ids["ParentId"]);

        // The handler's own line: the SERVER span (exported), child of the caller's span; not the host's Activity.
        SeenScope handler = provider.Single("in the handler").Ids!;
        Assert.NotNull(handler);
        Assert.Equal(server.SpanId.ToHexString(), handler["SpanId"]);
        Assert.Equal(trace.ToHexString(), handler["TraceId"]);
        Assert.Equal(RemoteParent, handler["ParentId"]);
    }

    [Fact]
    public async Task The_apps_own_ActivityTrackingOptions_are_kept_before_or_after_AddOtelGen()
    {
        // None, set before AddOtelGen: kept (no trace scope), as .NET's provider would do.
        (CapturingProvider none, _, _) = await RequestAsync(before: b => b.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None));
        Assert.Null(none.Single("in the traced method").Ids);

        // TraceId alone, set after: the traced span's trace id, nothing else.
        (CapturingProvider traceOnly, _, TraceId trace) = await RequestAsync(after: b => b.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId));
        SeenScope ids = traceOnly.Single("in the traced method").Ids!;
        Assert.NotNull(ids);
        Assert.Equal(new[] { "TraceId" }, ids.Keys);
        Assert.Equal(trace.ToHexString(), ids["TraceId"]);
        Assert.Equal("TraceId:" + trace.ToHexString(), ids.Text);
    }

    /// <summary>The request's SERVER span, once recorded (it ends just after the response is written).</summary>
    private static async Task<SpanRecord> ServerSpanAsync(TraceId trace)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            SpanRecord? server = Tracing.Ring.Snapshot().LastOrDefault(s => s.TraceId == trace && s.Kind == ActivityKind.Server);
            if (server is not null)
            {
                return server;
            }
            Assert.False(timeout.IsCancellationRequested, "no SERVER span was recorded for the request");
            await Task.Delay(20);
        }
    }
}
