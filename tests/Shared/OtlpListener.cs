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

namespace OtelGen.TestSupport;

/// <summary>A span as an OTLP collector received it, decoded from JSON or protobuf.</summary>
public sealed record ReceivedSpan(
    string ServiceName, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    long StartNanos, long EndNanos, int StatusCode, Dictionary<string, string> Attributes, List<string> EventNames,
    List<(string TraceId, string SpanId)> Links);

/// <summary>
/// A real OTLP/HTTP collector for tests: an HttpListener on 127.0.0.1 (free port) that accepts
/// POST /v1/traces in http/json and http/protobuf (gzip too), keeps every span and answers 200 with a
/// length (<c>{}</c> to JSON, an empty body to protobuf). Each request is handled on its own task, since
/// exporters in several processes post at once. Anything else is refused and counted, so that a test
/// sees a wrong path or a body that does not parse instead of a silent zero.
/// </summary>
public sealed class OtlpListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedSpan> _spans = new();
    private readonly List<string> _refusals = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;
    private int _refused;
    private int _hungUp;

    public OtlpListener()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
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

    /// <summary>The base URL, e.g. http://127.0.0.1:41234 (what OTEL_EXPORTER_OTLP_ENDPOINT takes).</summary>
    public string Endpoint { get; }

    /// <summary>How many export requests were accepted.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests refused (wrong path or method, or a body that did not parse).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Requests whose spans were kept but whose client closed the connection before the answer.</summary>
    public int HungUp => Volatile.Read(ref _hungUp);

    /// <summary>Why requests were refused, a line each.</summary>
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

    /// <summary>A copy of every span received so far.</summary>
    public List<ReceivedSpan> Spans
    {
        get
        {
            lock (_spans)
            {
                return new List<ReceivedSpan>(_spans);
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
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        List<ReceivedSpan>? spans = null;
        try
        {
            HttpListenerRequest request = context.Request;
            if (request.HttpMethod != "POST" || request.Url?.AbsolutePath != "/v1/traces")
            {
                Refuse($"{request.HttpMethod} {request.Url?.AbsolutePath} {request.ContentType}");
                context.Response.StatusCode = request.Url?.AbsolutePath == "/v1/traces" ? 405 : 404;
                return;
            }
            bool json = (request.ContentType ?? "").Contains("json", StringComparison.OrdinalIgnoreCase);
            using var body = new MemoryStream();
            Stream input = request.InputStream;
            if (string.Equals(request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase))
            {
                input = new GZipStream(input, CompressionMode.Decompress);
            }
            await input.CopyToAsync(body).ConfigureAwait(false);
            byte[] bytes = body.ToArray();
            spans = json ? OtlpDecoding.FromJson(bytes) : OtlpDecoding.FromProtobuf(bytes);
            lock (_spans)
            {
                _spans.AddRange(spans);
            }
            Interlocked.Increment(ref _requests);
            context.Response.StatusCode = 200;
            context.Response.ContentType = json ? "application/json" : "application/x-protobuf";
            byte[] reply = json ? "{}"u8.ToArray() : Array.Empty<byte>();
            // A length, not chunked: a chunked empty body left a stray chunk that a kept-alive client
            // read as the next answer (and resent a batch), and chunked answers stall on delayed ACKs.
            context.Response.ContentLength64 = reply.Length;
            await context.Response.OutputStream.WriteAsync(reply).ConfigureAwait(false);
        }
        catch (Exception) when (spans is not null)
        {
            // The spans are in; the client hung up before our answer (a retry would show as a duplicate).
            Interlocked.Increment(ref _hungUp);
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

    private void Refuse(string reason)
    {
        Interlocked.Increment(ref _refused);
        lock (_refusals)
        {
            _refusals.Add(reason);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

/// <summary>Decodes ExportTraceServiceRequest bodies without any OTLP library: JSON by the spec's mapping, protobuf by wire format.</summary>
public static class OtlpDecoding
{
    public static List<ReceivedSpan> FromJson(byte[] body)
    {
        var result = new List<ReceivedSpan>();
        using JsonDocument doc = JsonDocument.Parse(body);
        foreach (JsonElement rs in JsonArray(doc.RootElement, "resourceSpans"))
        {
            string service = "";
            if (rs.TryGetProperty("resource", out JsonElement resource))
            {
                service = JsonAttributes(resource).GetValueOrDefault("service.name", "");
            }
            foreach (JsonElement ss in JsonArray(rs, "scopeSpans"))
            {
                foreach (JsonElement s in JsonArray(ss, "spans"))
                {
                    int status = 0;
                    if (s.TryGetProperty("status", out JsonElement st) && st.TryGetProperty("code", out JsonElement code))
                    {
                        // Enums are numbers in OTLP/JSON; names are accepted too, as collectors do.
                        status = code.ValueKind == JsonValueKind.Number ? code.GetInt32() : code.GetString() switch
                        {
                            "STATUS_CODE_OK" => 1,
                            "STATUS_CODE_ERROR" => 2,
                            _ => 0,
                        };
                    }
                    result.Add(new ReceivedSpan(service,
                        JsonText(s, "traceId"),
                        JsonText(s, "spanId"),
                        JsonText(s, "parentSpanId"),
                        JsonText(s, "name"),
                        s.TryGetProperty("kind", out JsonElement k) ? k.GetInt32() : 0,
                        long.Parse(s.GetProperty("startTimeUnixNano").GetString()!),
                        long.Parse(s.GetProperty("endTimeUnixNano").GetString()!),
                        status,
                        JsonAttributes(s),
                        JsonArray(s, "events").Select(e => JsonText(e, "name")).ToList(),
                        JsonArray(s, "links").Select(l => (JsonText(l, "traceId"), JsonText(l, "spanId"))).ToList()));
                }
            }
        }
        return result;
    }

    private static IEnumerable<JsonElement> JsonArray(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : Enumerable.Empty<JsonElement>();

    private static string JsonText(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>The <c>attributes</c> of a span, resource or event, values as text.</summary>
    private static Dictionary<string, string> JsonAttributes(JsonElement owner)
    {
        var result = new Dictionary<string, string>();
        foreach (JsonElement kv in JsonArray(owner, "attributes"))
        {
            if (!kv.TryGetProperty("value", out JsonElement value))
            {
                continue;
            }
            foreach (JsonProperty p in value.EnumerateObject())
            {
                result[JsonText(kv, "key")] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
        }
        return result;
    }

    public static List<ReceivedSpan> FromProtobuf(byte[] body)
    {
        var result = new List<ReceivedSpan>();
        foreach (var (_, rs) in Fields(body, 1))
        {
            string service = "";
            foreach (var (_, resource) in Fields(rs, 1))
            {
                service = Attributes(resource, 1).GetValueOrDefault("service.name", "");
            }
            foreach (var (_, ss) in Fields(rs, 2))
            {
                foreach (var (_, span) in Fields(ss, 2))
                {
                    string traceId = "", spanId = "", parent = "", name = "";
                    int kind = 0, status = 0;
                    long start = 0, end = 0;
                    var events = new List<string>();
                    var links = new List<(string TraceId, string SpanId)>();
                    foreach (var (field, value, number) in AllFields(span))
                    {
                        switch (field)
                        {
                            case 1: traceId = Convert.ToHexString(value).ToLowerInvariant(); break;
                            case 2: spanId = Convert.ToHexString(value).ToLowerInvariant(); break;
                            case 4: parent = Convert.ToHexString(value).ToLowerInvariant(); break;
                            case 5: name = System.Text.Encoding.UTF8.GetString(value); break;
                            case 6: kind = (int)number; break;
                            case 7: start = (long)number; break;
                            case 8: end = (long)number; break;
                            case 11:
                                foreach (var (_, n) in Fields(value, 2))
                                {
                                    events.Add(System.Text.Encoding.UTF8.GetString(n));
                                }
                                break;
                            case 13:
                                string linkTrace = "", linkSpan = "";
                                foreach (var (f, b, _) in AllFields(value))
                                {
                                    if (f == 1) linkTrace = Convert.ToHexString(b).ToLowerInvariant();
                                    if (f == 2) linkSpan = Convert.ToHexString(b).ToLowerInvariant();
                                }
                                links.Add((linkTrace, linkSpan));
                                break;
                            case 15:
                                foreach (var (f, _, n) in AllFields(value))
                                {
                                    if (f == 3) status = (int)n;
                                }
                                break;
                        }
                    }
                    result.Add(new ReceivedSpan(service, traceId, spanId, parent, name, kind, start, end, status, Attributes(span, 9), events, links));
                }
            }
        }
        return result;
    }

    private static Dictionary<string, string> Attributes(byte[] message, int field)
    {
        var result = new Dictionary<string, string>();
        foreach (var (_, kv) in Fields(message, field))
        {
            string key = "", value = "";
            foreach (var (f, bytes, _) in AllFields(kv))
            {
                if (f == 1) key = System.Text.Encoding.UTF8.GetString(bytes);
                if (f == 2)
                {
                    foreach (var (vf, vb, vn) in AllFields(bytes))
                    {
                        value = vf switch
                        {
                            1 => System.Text.Encoding.UTF8.GetString(vb),
                            2 => vn != 0 ? "true" : "false",
                            3 => ((long)vn).ToString(),
                            4 => BitConverter.Int64BitsToDouble((long)vn).ToString("R"),
                            _ => Convert.ToHexString(vb),
                        };
                    }
                }
            }
            result[key] = value;
        }
        return result;
    }

    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message, int wanted)
    {
        foreach (var (field, bytes, _) in AllFields(message))
        {
            if (field == wanted)
            {
                yield return (field, bytes);
            }
        }
    }

    /// <summary>Every field of a message: length-delimited ones as bytes, varint/fixed ones as a number.</summary>
    private static IEnumerable<(int Field, byte[] Bytes, ulong Number)> AllFields(byte[] message)
    {
        int pos = 0;
        while (pos < message.Length)
        {
            ulong tag = Varint(message, ref pos);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    yield return (field, Array.Empty<byte>(), Varint(message, ref pos));
                    break;
                case 1:
                    yield return (field, Array.Empty<byte>(), BitConverter.ToUInt64(message, pos));
                    pos += 8;
                    break;
                case 2:
                    int length = (int)Varint(message, ref pos);
                    yield return (field, message.AsSpan(pos, length).ToArray(), 0);
                    pos += length;
                    break;
                case 5:
                    yield return (field, Array.Empty<byte>(), BitConverter.ToUInt32(message, pos));
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7} at {pos}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
    }
}
