using System;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace OtelGen.AspNetCore.Conformance;

/// <summary>
/// The service the W3C Trace Context test harness drives (https://github.com/w3c/trace-context/tree/main/test):
/// <c>POST /test</c> with <c>[{"url": ..., "arguments": [...]}, ...]</c> makes, for each item in order, a
/// POST of <c>arguments</c> to <c>url</c>. The request's context was continued by the server span, and
/// the outgoing call is a CLIENT span under it, so each callee sees the same trace id, a new parent id,
/// the flags and the tracestate; an invalid incoming traceparent means a new trace.
/// </summary>
internal static class TraceContextTestEndpoint
{
    private static readonly HttpClient s_client = new(new PropagatingHttpHandler(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        UseProxy = false,
    }))
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public static async Task HandleAsync(HttpContext context)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            foreach (JsonElement item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("url", out JsonElement url) || url.ValueKind != JsonValueKind.String
                    || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out Uri? target)
                    || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
                {
                    continue;
                }
                string body = item.TryGetProperty("arguments", out JsonElement arguments) ? arguments.GetRawText() : "[]";
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/json");
                    using HttpResponseMessage response = await s_client.PostAsync(target, content, context.RequestAborted);
                }
                catch (HttpRequestException)
                {
                    // The harness's callee may be gone; the CLIENT span recorded it. Go on with the next item.
                }
                catch (TaskCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                {
                }
            }
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
