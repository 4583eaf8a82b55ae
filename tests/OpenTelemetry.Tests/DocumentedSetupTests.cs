using System;
using System.Collections.Generic;
using System.Diagnostics;
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
using OpenTelemetry;
using OpenTelemetry.Trace;
using OtelGen.AspNetCore;
using OtelGen.Tests.Shared;
using Xunit;

namespace OtelGen.OpenTelemetry.Tests;

/// <summary>What the handler below calls: a [Traced] method that makes a plain HttpClient call.</summary>
public static class Downstream
{
    /// <summary>A plain client, as <c>new HttpClient()</c> makes one (no handler of OtelGen's).</summary>
    public static readonly HttpClient Plain = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    [Traced("downstream.fetch")]
    public static async Task<string> FetchAsync(HttpClient client, string url)
    {
        using HttpResponseMessage response = await client.GetAsync(url);
        return await response.Content.ReadAsStringAsync();
    }
}

/// <summary>
/// The setup docs/interop.md documents ("Beside the OpenTelemetry .NET SDK"): an app with the SDK's ASP.NET Core and
/// HttpClient instrumentation (as Aspire's ServiceDefaults has), <c>AddOtelGen()</c> on the tracer provider and
/// OtelGen.AspNetCore's <c>AddOtelGen()</c>, on real Kestrel; the handler calls a [Traced] method that calls a
/// header-recording loopback server with a plain <c>new HttpClient()</c>. Each request is one tree of exported spans.
/// </summary>
public sealed class DocumentedSetupTests
{
    public DocumentedSetupTests()
    {
        EnvironmentExport.EnsureControl();
    }

    [Fact]
    public Task Each_request_exports_one_tree_with_one_server_and_one_client_span_and_traceparent_names_an_exported_span() =>
        RunAsync(configure: null, factoryClient: false);

    [Fact]
    public Task With_IHttpClientFactory_clients_and_PropagateHttpClients_off_each_request_is_still_one_tree_with_one_client_span() =>
        // Aspire's apps call through IHttpClientFactory; OtelGen.AspNetCore's handler would record a CLIENT span of its
        // own beside the SDK's, so the documented setup turns it off.
        RunAsync(configure: o => o.PropagateHttpClients = false, factoryClient: true);

    private static async Task RunAsync(Action<OtelGenAspNetCoreOptions>? configure, bool factoryClient)
    {
        using var downstream = new HeaderRecordingServer();
        var exported = new ExportedActivities();

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new[] { "--urls", "http://127.0.0.1:0" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddOtelGen()
            .AddInMemoryExporter(exported));
        builder.Services.AddOtelGen(configure);
        builder.Services.AddHttpClient("stock").ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false });
        WebApplication app = builder.Build();
        app.MapGet("/orders/{id}", async (string id, IHttpClientFactory factory) =>
            Results.Text(await Downstream.FetchAsync(factoryClient ? factory.CreateClient("stock") : Downstream.Plain, downstream.Url + "stock/" + id)));
        await app.StartAsync();
        TracerProvider provider = app.Services.GetRequiredService<TracerProvider>();
        try
        {
            string baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
            const int Requests = 3;
            for (int i = 0; i < Requests; i++)
            {
                // The test's own call is not part of the app: in this one process the SDK's HttpClient instrumentation
                // would otherwise record it as a CLIENT span and send its traceparent, above the app's SERVER span.
                using (SuppressInstrumentationScope.Begin())
                {
                    Assert.Equal("ok", await client.GetStringAsync(baseUrl + "/orders/" + i));
                }
            }
            // The host stops a request's Activity after the response went out, so the client can be done first.
            using (var timeout = new CancellationTokenSource(10_000))
            {
                while (exported.Snapshot().Count(a => a.Kind == ActivityKind.Server) < Requests && !timeout.IsCancellationRequested)
                {
                    await Task.Delay(20);
                }
            }
            Assert.True(provider.ForceFlush(10_000));

            List<Activity> all = exported.Snapshot();
            IReadOnlyList<RecordedRequest> calls = downstream.Requests;
            Assert.Equal(Requests, calls.Count);
            List<Activity> servers = all.Where(a => a.Kind == ActivityKind.Server).ToList();
            Assert.Equal(Requests, servers.Count);
            foreach (Activity server in servers)
            {
                // One trace per request, and every exported span of it.
                List<Activity> trace = all.Where(a => a.TraceId == server.TraceId).ToList();
                Assert.Single(trace, a => a.Kind == ActivityKind.Server);
                Activity clientSpan = Assert.Single(trace, a => a.Kind == ActivityKind.Client);
                Activity traced = Assert.Single(trace, a => a.DisplayName == "downstream.fetch");
                // One tree: a root and, for every other span, a parent that was exported.
                var ids = trace.Select(a => a.SpanId).ToHashSet();
                Assert.Single(trace, a => !ids.Contains(a.ParentSpanId));
                Assert.Equal(default, server.ParentSpanId);
                Assert.All(trace.Where(a => a != server), a => Assert.Contains(a.ParentSpanId, ids));
                // SERVER (the SDK's) -> the [Traced] span (OtelGen's, bridged) -> CLIENT (the SDK's).
                Assert.Equal("Microsoft.AspNetCore", server.Source.Name);
                Assert.Equal("OtelGen", traced.Source.Name);
                Assert.Equal("System.Net.Http", clientSpan.Source.Name);
                Assert.Equal(server.SpanId, traced.ParentSpanId);
                Assert.Equal(traced.SpanId, clientSpan.ParentSpanId);

                // The downstream call names the exported CLIENT span, in the tree's trace, once.
                RecordedRequest call = Assert.Single(calls, c =>
                    c.Values("traceparent").Any(v => v.Contains(server.TraceId.ToHexString(), StringComparison.Ordinal)));
                string traceparent = Assert.Single(call.Values("traceparent"));
                Assert.StartsWith("00-" + server.TraceId.ToHexString() + "-" + clientSpan.SpanId.ToHexString() + "-", traceparent);
                // Sampled (W3C Level 2's random-trace-id bit may be set too: .NET makes random trace ids).
                Assert.Equal(1, Convert.ToInt32(traceparent[^2..], 16) & 1);
            }
            // Nothing of these requests was exported outside their trees.
            Assert.All(all.Where(a => a.Source.Name is "Microsoft.AspNetCore" or "System.Net.Http" || a.DisplayName == "downstream.fetch"),
                a => Assert.Contains(servers, s => s.TraceId == a.TraceId));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
