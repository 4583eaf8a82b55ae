using System.Diagnostics;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OtelGen.Activities;
using OtelGen.Context;
using OtelGen.Spans;
using OtelGen.Tests.Shared;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// Issue #23 item 3: clients from IHttpClientFactory (named and typed, with and without OtelGen.AspNetCore's
/// registration) send the OtelGen span as <c>traceparent</c>, as a plain HttpClient does.
/// </summary>
public sealed class HttpClientFactoryPropagationTests
{
    private sealed class TypedClient(HttpClient http)
    {
        public Task<string> GetAsync(string url) => http.GetStringAsync(url);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Factory_clients_send_the_innermost_OtelGen_span(bool withOtelGenAspNetCore)
    {
        using var server = new HeaderRecordingServer();
        var services = new ServiceCollection();
        if (withOtelGenAspNetCore)
        {
            services.AddOtelGen();
        }
        services.AddHttpClient("named");
        services.AddHttpClient<TypedClient>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var span = Tracing.StartAsyncSpan("calls");
        SpanContext expected = span.Context;
        await provider.GetRequiredService<IHttpClientFactory>().CreateClient("named").GetStringAsync(server.Url);
        await provider.GetRequiredService<TypedClient>().GetAsync(server.Url);
        span.Dispose();

        Assert.Equal(2, server.Requests.Count);
        if (!withOtelGenAspNetCore)
        {
            Assert.All(server.Requests, headers => Assert.Equal(expected.ToTraceParent(), headers["traceparent"]));
            return;
        }
        // OtelGen.AspNetCore's client handler records a CLIENT span per request: the header names it.
        List<SpanRecord> clients = Tracing.Ring.Snapshot().Where(s => s.TraceId == expected.TraceId && s.Kind == ActivityKind.Client).ToList();
        Assert.Equal(2, clients.Count);
        Assert.All(clients, client => Assert.Equal(expected.SpanId, client.ParentSpanId));
        Assert.Equal(
            clients.Select(c => new SpanContext(c.TraceId, c.SpanId, expected.TraceFlags).ToTraceParent()).OrderBy(x => x),
            server.Requests.Select(h => h["traceparent"]).OrderBy(x => x));
    }

    [Fact]
    public async Task With_System_Net_Http_recorded_OtelGen_AspNetCores_handler_records_no_second_client_span()
    {
        ActivitySourceSelection previous = ActivityRecorder.Selection;
        try
        {
            Tracing.RecordActivities("System.Net.Http");
            using var server = new HeaderRecordingServer();
            var services = new ServiceCollection();
            services.AddOtelGen();
            services.AddHttpClient("named");
            await using ServiceProvider provider = services.BuildServiceProvider();

            var span = Tracing.StartAsyncSpan("calls");
            SpanContext expected = span.Context;
            await provider.GetRequiredService<IHttpClientFactory>().CreateClient("named").GetStringAsync(server.Url);
            span.Dispose();

            // One CLIENT span, HttpClient's own Activity, under the OtelGen span; the header names it.
            SpanRecord client = Assert.Single(Tracing.Ring.Snapshot(), s => s.TraceId == expected.TraceId && s.Kind == ActivityKind.Client);
            Assert.Null(client.Descriptor);
            Assert.Equal(expected.SpanId, client.ParentSpanId);
            Assert.Equal(new SpanContext(client.TraceId, client.SpanId, expected.TraceFlags).ToTraceParent(), server.Requests.Single()["traceparent"]);
        }
        finally
        {
            ActivityRecorder.Listen(previous);
        }
    }
}
