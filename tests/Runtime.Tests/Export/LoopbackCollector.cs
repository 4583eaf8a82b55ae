using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>What the collector answers to one request.</summary>
internal sealed record CollectorReply(int Status, byte[]? Body = null, string? ContentType = null, string? RetryAfter = null, TimeSpan Delay = default);

/// <summary>One request the collector received (body already gunzipped when it was compressed).</summary>
internal sealed record ReceivedRequest(string Path, string? ContentType, string? ContentEncoding, Dictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A real OTLP/HTTP endpoint on 127.0.0.1 (HttpListener) whose replies the test scripts. Every wait is
/// bounded; disposing stops it.
/// </summary>
internal sealed class LoopbackCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Thread _thread;
    private readonly Func<int, CollectorReply> _reply;
    private int _requests;

    public LoopbackCollector(Func<int, CollectorReply>? reply = null, int? port = null)
    {
        Port = port ?? FreePort();
        _reply = reply ?? (_ => new CollectorReply(200));
        UniqueTracesUrl = new Uri($"http://127.0.0.1:{Port}/{Guid.NewGuid():N}/v1/traces");
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "loopback collector" };
        _thread.Start();
    }

    public int Port { get; }

    public Uri TracesUrl => new($"http://127.0.0.1:{Port}/v1/traces");

    /// <summary>
    /// A traces URL no other test uses: stderr warnings are said once per process per message, and
    /// ephemeral ports come back, so tests that assert on a warning need a URL of their own.
    /// </summary>
    public Uri UniqueTracesUrl { get; } = null!;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    /// <summary>Requests answered so far, whatever the reply.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public static bool WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        DateTime end = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }
            Thread.Sleep(10);
        }
        return true;
    }

    private void Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = _listener.GetContext();
            }
            catch (Exception)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            catch (Exception)
            {
                // The client gave up (timeout test): keep serving.
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        int index = Interlocked.Increment(ref _requests) - 1;
        HttpListenerRequest request = context.Request;
        using var memory = new MemoryStream();
        request.InputStream.CopyTo(memory);
        byte[] body = memory.ToArray();
        string? encoding = request.Headers["Content-Encoding"];
        if (encoding == "gzip")
        {
            using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            body = plain.ToArray();
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string? key in request.Headers.AllKeys)
        {
            if (key is not null)
            {
                headers[key] = request.Headers[key] ?? string.Empty;
            }
        }
        CollectorReply reply = _reply(index);
        if (reply.Delay > TimeSpan.Zero)
        {
            Thread.Sleep(reply.Delay);
        }
        if (reply.Status is >= 200 and < 300)
        {
            Received.Enqueue(new ReceivedRequest(request.Url!.AbsolutePath, request.ContentType, encoding, headers, body));
        }
        HttpListenerResponse response = context.Response;
        response.StatusCode = reply.Status;
        if (reply.RetryAfter is not null)
        {
            response.Headers["Retry-After"] = reply.RetryAfter;
        }
        byte[] answer = reply.Body ?? Array.Empty<byte>();
        response.ContentType = reply.ContentType ?? request.ContentType ?? "application/x-protobuf";
        response.ContentLength64 = answer.Length;
        response.OutputStream.Write(answer);
        response.Close();
    }

    public void Dispose()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (Exception)
        {
        }
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
