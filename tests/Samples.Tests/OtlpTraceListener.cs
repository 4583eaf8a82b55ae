using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace OtelGen.Samples.Tests;

/// <summary>A span as the collector received it (the parts the sample tests check).</summary>
public sealed record CollectedSpan(
    string ServiceName, string TraceId, string SpanId, string ParentSpanId, string Name, int StatusCode,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> EventNames, IReadOnlyList<(string TraceId, string SpanId)> Links);

/// <summary>
/// A real OTLP/HTTP trace collector: an HttpListener on 127.0.0.1 (free port) that accepts POST /v1/traces
/// in http/json (gzip too), keeps every span and answers 200 <c>{}</c>. Other requests are counted and
/// refused, so a test sees a protocol mismatch instead of a silent zero.
/// </summary>
public sealed class OtlpTraceListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<CollectedSpan> _spans = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _refusals = new();
    private int _requests;
    private int _refused;
    private int _hungUp;

    public OtlpTraceListener()
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Endpoint = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(Endpoint + "/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What OTEL_EXPORTER_OTLP_ENDPOINT takes.</summary>
    public string Endpoint { get; }

    /// <summary>Export requests accepted.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests refused (wrong path, method or content type, or a body that did not parse).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Requests whose spans were kept but whose client closed the connection before the answer.</summary>
    public int HungUp => Volatile.Read(ref _hungUp);

    /// <summary>Why requests were refused.</summary>
    public string Refusals
    {
        get
        {
            lock (_refusals)
            {
                return string.Join("\n", _refusals);
            }
        }
    }

    private void Refuse(string reason)
    {
        Interlocked.Increment(ref _refused);
        lock (_refusals)
        {
            _refusals.Add(reason);
        }
    }

    /// <summary>How many spans arrived.</summary>
    public int Count
    {
        get
        {
            lock (_spans)
            {
                return _spans.Count;
            }
        }
    }

    /// <summary>A copy of the spans received.</summary>
    public List<CollectedSpan> Spans
    {
        get
        {
            lock (_spans)
            {
                return new List<CollectedSpan>(_spans);
            }
        }
    }

    /// <summary>Waits (bounded) until at least <paramref name="count"/> spans arrived, then a moment more for stragglers.</summary>
    public int WaitFor(long count, TimeSpan max)
    {
        DateTime until = DateTime.UtcNow + max;
        while (Count < count && DateTime.UtcNow < until)
        {
            Thread.Sleep(50);
        }
        Thread.Sleep(200);
        return Count;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            // Each request on its own task: exporters in several processes post at once.
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        List<CollectedSpan>? spans = null;
        try
        {
            HttpListenerRequest request = context.Request;
            bool json = (request.ContentType ?? "").Contains("json", StringComparison.OrdinalIgnoreCase);
            if (request.HttpMethod != "POST" || request.Url?.AbsolutePath != "/v1/traces" || !json)
            {
                Refuse($"{request.HttpMethod} {request.Url?.AbsolutePath} {request.ContentType}");
                context.Response.StatusCode = request.Url?.AbsolutePath == "/v1/traces" ? 415 : 404;
                return;
            }
            using var body = new MemoryStream();
            Stream input = request.InputStream;
            if (string.Equals(request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase))
            {
                input = new GZipStream(input, CompressionMode.Decompress);
            }
            await input.CopyToAsync(body).ConfigureAwait(false);
            spans = Decode(body.ToArray());
            lock (_spans)
            {
                _spans.AddRange(spans);
            }
            Interlocked.Increment(ref _requests);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            // A known length: without it HttpListener answers chunked and sends the final chunk in a
            // second small write, which Nagle holds until the client's delayed ACK (~40 ms a request).
            byte[] reply = "{}"u8.ToArray();
            context.Response.ContentLength64 = reply.Length;
            await context.Response.OutputStream.WriteAsync(reply).ConfigureAwait(false);
        }
        catch (Exception ex) when (spans is not null)
        {
            // The spans are in; the client hung up before our answer (a retry would show as a duplicate).
            Interlocked.Increment(ref _hungUp);
            _ = ex;
        }
        catch (Exception ex)
        {
            Refuse(ex.GetType().Name + ": " + ex.Message);
            context.Response.StatusCode = 400;
        }
        finally
        {
            try
            {
                context.Response.Close();
            }
            catch (Exception)
            {
            }
        }
    }

    /// <summary>Decodes an ExportTraceServiceRequest in the OTLP JSON mapping (hex ids, enums as numbers).</summary>
    public static List<CollectedSpan> Decode(byte[] body)
    {
        var result = new List<CollectedSpan>();
        using JsonDocument document = JsonDocument.Parse(body);
        foreach (JsonElement resourceSpans in Array(document.RootElement, "resourceSpans"))
        {
            string service = "";
            if (resourceSpans.TryGetProperty("resource", out JsonElement resource))
            {
                service = Attributes(resource).GetValueOrDefault("service.name", "");
            }
            foreach (JsonElement scopeSpans in Array(resourceSpans, "scopeSpans"))
            {
                foreach (JsonElement span in Array(scopeSpans, "spans"))
                {
                    int status = 0;
                    if (span.TryGetProperty("status", out JsonElement s) && s.TryGetProperty("code", out JsonElement code))
                    {
                        status = code.ValueKind == JsonValueKind.Number ? code.GetInt32() : code.GetString() switch
                        {
                            "STATUS_CODE_OK" => 1,
                            "STATUS_CODE_ERROR" => 2,
                            _ => 0,
                        };
                    }
                    result.Add(new CollectedSpan(
                        service,
                        Text(span, "traceId"),
                        Text(span, "spanId"),
                        Text(span, "parentSpanId"),
                        Text(span, "name"),
                        status,
                        Attributes(span),
                        Array(span, "events").Select(e => Text(e, "name")).ToList(),
                        Array(span, "links").Select(l => (Text(l, "traceId"), Text(l, "spanId"))).ToList()));
                }
            }
        }
        return result;
    }

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : Enumerable.Empty<JsonElement>();

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static Dictionary<string, string> Attributes(JsonElement element)
    {
        var attributes = new Dictionary<string, string>();
        foreach (JsonElement kv in Array(element, "attributes"))
        {
            if (!kv.TryGetProperty("value", out JsonElement value))
            {
                continue;
            }
            foreach (JsonProperty typed in value.EnumerateObject())
            {
                attributes[Text(kv, "key")] = typed.Value.ValueKind == JsonValueKind.String ? typed.Value.GetString()! : typed.Value.GetRawText();
            }
        }
        return attributes;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
