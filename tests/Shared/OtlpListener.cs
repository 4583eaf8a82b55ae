using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace OtelGen.TestSupport;

/// <summary>A span as an OTLP collector received it, decoded from JSON or protobuf.</summary>
public sealed record ReceivedSpan(
    string ServiceName, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    long StartNanos, long EndNanos, int StatusCode, Dictionary<string, string> Attributes, List<string> EventNames);

/// <summary>
/// A real OTLP/HTTP collector for tests: an HttpListener on 127.0.0.1 (free port) that accepts
/// POST /v1/traces in http/json and http/protobuf (gzip too) and answers 200 with an empty response.
/// </summary>
public sealed class OtlpListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedSpan> _spans = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

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

    /// <summary>How many export requests arrived.</summary>
    public int Requests => Volatile.Read(ref _requests);

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
            try
            {
                using var body = new MemoryStream();
                Stream input = context.Request.InputStream;
                if (string.Equals(context.Request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase))
                {
                    input = new GZipStream(input, CompressionMode.Decompress);
                }
                await input.CopyToAsync(body).ConfigureAwait(false);
                byte[] bytes = body.ToArray();
                List<ReceivedSpan> spans = (context.Request.ContentType ?? "").Contains("json", StringComparison.OrdinalIgnoreCase)
                    ? OtlpDecoding.FromJson(bytes)
                    : OtlpDecoding.FromProtobuf(bytes);
                lock (_spans)
                {
                    _spans.AddRange(spans);
                }
                Interlocked.Increment(ref _requests);
                context.Response.StatusCode = 200;
                context.Response.ContentType = context.Request.ContentType;
                byte[] reply = (context.Request.ContentType ?? "").Contains("json") ? "{}"u8.ToArray() : Array.Empty<byte>();
                // A length, not chunked: a chunked empty body left a stray chunk that a kept-alive client
                // read as the next answer (and resent a batch), and chunked answers stall on delayed ACKs.
                context.Response.ContentLength64 = reply.Length;
                await context.Response.OutputStream.WriteAsync(reply).ConfigureAwait(false);
            }
            catch (Exception)
            {
                context.Response.StatusCode = 400;
            }
            finally
            {
                context.Response.Close();
            }
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
        foreach (JsonElement rs in doc.RootElement.GetProperty("resourceSpans").EnumerateArray())
        {
            string service = "";
            if (rs.TryGetProperty("resource", out JsonElement resource) && resource.TryGetProperty("attributes", out JsonElement ra))
            {
                service = JsonAttributes(ra).GetValueOrDefault("service.name", "");
            }
            foreach (JsonElement ss in rs.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (JsonElement s in ss.GetProperty("spans").EnumerateArray())
                {
                    var events = new List<string>();
                    if (s.TryGetProperty("events", out JsonElement ev))
                    {
                        foreach (JsonElement e in ev.EnumerateArray())
                        {
                            events.Add(e.GetProperty("name").GetString()!);
                        }
                    }
                    int status = s.TryGetProperty("status", out JsonElement st) && st.TryGetProperty("code", out JsonElement code) ? code.GetInt32() : 0;
                    result.Add(new ReceivedSpan(service,
                        s.GetProperty("traceId").GetString()!,
                        s.GetProperty("spanId").GetString()!,
                        s.TryGetProperty("parentSpanId", out JsonElement p) ? p.GetString()! : "",
                        s.GetProperty("name").GetString()!,
                        s.TryGetProperty("kind", out JsonElement k) ? k.GetInt32() : 0,
                        long.Parse(s.GetProperty("startTimeUnixNano").GetString()!),
                        long.Parse(s.GetProperty("endTimeUnixNano").GetString()!),
                        status,
                        s.TryGetProperty("attributes", out JsonElement a) ? JsonAttributes(a) : new(),
                        events));
                }
            }
        }
        return result;
    }

    private static Dictionary<string, string> JsonAttributes(JsonElement array)
    {
        var result = new Dictionary<string, string>();
        foreach (JsonElement kv in array.EnumerateArray())
        {
            JsonElement value = kv.GetProperty("value");
            foreach (JsonProperty p in value.EnumerateObject())
            {
                result[kv.GetProperty("key").GetString()!] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
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
                            case 15:
                                foreach (var (f, _, n) in AllFields(value))
                                {
                                    if (f == 3) status = (int)n;
                                }
                                break;
                        }
                    }
                    result.Add(new ReceivedSpan(service, traceId, spanId, parent, name, kind, start, end, status, Attributes(span, 9), events));
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
