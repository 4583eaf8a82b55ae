using System.Collections.Concurrent;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace OtelGen.AspNetCore.Tests;

/// <summary>
/// W3C Baggage through a service: "A received header ... SHOULD be passed on to all downstream requests"
/// (baggage/HTTP_HEADER_FORMAT.md). Properties and percent-encoding survive the hop; a malformed member does not.
/// </summary>
public sealed class BaggageForwardingTests
{
    [Fact]
    public async Task Incoming_baggage_with_properties_is_forwarded_by_HttpClient()
    {
        var received = new ConcurrentQueue<string?>();
        WebApplicationBuilder builder = RunningApp.NewBuilder();
        builder.Services.AddHttpClient("echo");
        WebApplication app = builder.Build();
        app.MapGet("/echo", (HttpContext context) =>
        {
            received.Enqueue(context.Request.Headers.TryGetValue("baggage", out var values) ? values.ToString() : null);
            return Results.Ok();
        });
        app.MapGet("/call", async (IHttpClientFactory factory, HttpContext context) =>
        {
            using HttpResponseMessage response = await factory.CreateClient("echo")
                .GetAsync(context.Request.Scheme + "://" + context.Request.Host + "/echo");
            return Results.Text(((int)response.StatusCode).ToString());
        });
        await using RunningApp running = await RunningApp.StartAsync(app);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/call");
        request.Headers.TryAddWithoutValidation("baggage", "tenant = acme ; ttl=60 ;sensitive, bad=two words");
        request.Headers.TryAddWithoutValidation("baggage", "user=Am%C3%A9lie;note=a%2Cb");
        using HttpResponseMessage reply = await running.Client.SendAsync(request);
        Assert.Equal("200", await reply.Content.ReadAsStringAsync());

        Assert.Equal("tenant=acme;ttl=60;sensitive,user=Am%C3%A9lie;note=a%2Cb", Assert.Single(received));
    }
}
