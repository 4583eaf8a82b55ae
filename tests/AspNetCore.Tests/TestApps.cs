using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with an ephemeral port, and a plain client for it.</summary>
internal sealed class RunningApp : IAsyncDisposable
{
    private RunningApp(WebApplication app, string baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
        // A plain client: no OtelGen handler, so requests carry exactly the headers a test sets.
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(20) };
    }

    public WebApplication App { get; }
    public string BaseUrl { get; }
    public HttpClient Client { get; }

    public static string[] LoopbackArgs => new[] { "--urls", "http://127.0.0.1:0" };

    public static async Task<RunningApp> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Assert.StartsWith("http://127.0.0.1:", address);
        return new RunningApp(app, address.TrimEnd('/'));
    }

    /// <summary>The BlogServer sample, as its Program runs it, on an ephemeral loopback port.</summary>
    public static Task<RunningApp> StartBlogAsync(Action<OtelGenAspNetCoreOptions>? configure = null) =>
        StartAsync(BlogServer.BlogApp.Build(LoopbackArgs, configure));

    /// <summary>A bare app with OtelGen, for endpoints a test defines.</summary>
    public static WebApplicationBuilder NewBuilder(Action<OtelGenAspNetCoreOptions>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(LoopbackArgs);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOtelGen(configure);
        return builder;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Reads the process-wide span ring.</summary>
internal static class Spans
{
    public static List<SpanRecord> OfTrace(TraceId traceId) =>
        Tracing.Ring.Snapshot().Where(s => s.TraceId == traceId).OrderBy(s => s.StartUnixNano).ToList();

    /// <summary>
    /// Waits (bounded) until a span matching <paramref name="match"/> is in the ring: a SERVER span ends
    /// just after the response is written, so the client can see the response first.
    /// </summary>
    public static async Task<SpanRecord> WaitForAsync(Func<SpanRecord, bool> match, int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            SpanRecord? found = Tracing.Ring.Snapshot().LastOrDefault(match);
            if (found is not null)
            {
                return found;
            }
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail("no matching span was recorded within " + timeoutMs + " ms");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the trace has at least <paramref name="count"/> spans, then returns them.</summary>
    public static async Task<List<SpanRecord>> WaitForTraceAsync(TraceId traceId, int count, int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            List<SpanRecord> spans = OfTrace(traceId);
            if (spans.Count >= count || timeout.IsCancellationRequested)
            {
                return spans;
            }
            await Task.Delay(20);
        }
    }

    public static string Str(this SpanRecord span, string key) =>
        span.TryGetAttribute(key, out AttributeValue value) ? value.ToString() : "<absent>";

    public static bool Has(this SpanRecord span, string key) => span.TryGetAttribute(key, out _);

    public static TraceId NewTraceId() => TraceId.NewRandom();

    public static string TraceParent(TraceId traceId, SpanId parent, string flags = "01") =>
        "00-" + traceId.ToHexString() + "-" + parent.ToHexString() + "-" + flags;
}
