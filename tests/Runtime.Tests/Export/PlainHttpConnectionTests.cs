using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using OtelGen.Export;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// The exporter's own HTTP/1.1 client against a raw TCP server on 127.0.0.1 that answers with scripted
/// bytes, dribbled a few at a time: framing (Content-Length, chunked, read to close), kept-alive
/// connections the server drops, and what a request looks like on the wire.
/// </summary>
public class PlainHttpConnectionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void Answers_of_every_framing_are_read_whole_even_a_few_bytes_at_a_time()
    {
        string chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\n{\"par\r\n" + "17\r\ntialSuccess\":{\"rejected\r\n" + "10\r\nSpans\":\"3\"}}    \r\n" + "0\r\nX-Trailer: t\r\n\r\n";
        string lengthed = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusy";
        string closing = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nbad spans";
        using var server = new ScriptedServer(new[] { chunked, lengthed, closing }, piece: 3);
        string headerName = "x-token"; // an HTTP header, not a span attribute
        using var connection = new PlainHttpConnection(server.Url, "application/json", gzip: false, new[] { KeyValuePair.Create(headerName, "abc") }, "OtelGen/test");

        CollectorAnswer first = connection.Post(Encoding.UTF8.GetBytes("{\"n\":1}"), DateTime.UtcNow + Limit, default);
        Assert.Equal(200, first.Status);
        Assert.Equal("application/json", first.MediaType);
        Assert.Equal("{\"partialSuccess\":{\"rejectedSpans\":\"3\"}}    ", Encoding.UTF8.GetString(first.Body));

        CollectorAnswer second = connection.Post(new byte[70_000], DateTime.UtcNow + Limit, default);
        Assert.Equal(503, second.Status);
        Assert.Equal(TimeSpan.FromSeconds(7), second.RetryAfter);
        Assert.Equal("busy", Encoding.UTF8.GetString(second.Body));

        CollectorAnswer third = connection.Post(Encoding.UTF8.GetBytes("x"), DateTime.UtcNow + Limit, default);
        Assert.Equal(400, third.Status);
        Assert.Equal("Bad Request", third.Reason);
        Assert.Equal("bad spans", Encoding.UTF8.GetString(third.Body));

        // The first two on one kept-alive connection; the server closed it after the HTTP/1.0 answer.
        Assert.Equal(1, server.Connections);
        List<string> heads = server.Heads.ToList();
        Assert.Equal(3, heads.Count);
        Assert.StartsWith($"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:{server.Url.Port}\r\nUser-Agent: OtelGen/test\r\nContent-Type: application/json\r\nx-token: abc\r\nContent-Length: 7\r\n", heads[0]);
        Assert.Contains("Content-Length: 70000\r\n", heads[1]);
        Assert.Equal(new[] { 7, 70_000, 1 }, server.BodyLengths.ToArray());
    }

    [Fact]
    public void Header_names_match_in_any_case_and_a_malformed_answer_is_an_error_not_a_guess()
    {
        string shouty = "HTTP/1.1 429 Too Many Requests\r\nCONTENT-TYPE:application/X-PROTOBUF ; x=1\r\nretry-after:  3 \r\ncOnNeCtIoN: Close\r\ncontent-length: 2\r\n\r\nno";
        string badLength = "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n";
        string notHttp = "SSH-2.0-OpenSSH_9.6\r\n\r\n";
        using var server = new ScriptedServer(new[] { shouty, badLength, notHttp }, piece: 5);
        using var connection = new PlainHttpConnection(server.Url, "application/x-protobuf", gzip: false, Array.Empty<KeyValuePair<string, string>>(), "OtelGen/test");

        CollectorAnswer first = connection.Post(new byte[] { 1 }, DateTime.UtcNow + Limit, default);
        Assert.Equal(429, first.Status);
        Assert.Equal("Too Many Requests", first.Reason);
        Assert.Equal("application/x-protobuf", first.MediaType); // a known media type in its usual spelling
        Assert.Equal(TimeSpan.FromSeconds(3), first.RetryAfter);
        Assert.Equal("no", Encoding.UTF8.GetString(first.Body));

        // "Connection: close" was honoured: the next request opened a second connection.
        var bad = Assert.Throws<System.IO.InvalidDataException>(() => connection.Post(new byte[] { 2 }, DateTime.UtcNow + Limit, default));
        Assert.Contains("Content-Length", bad.Message);
        var alien = Assert.Throws<System.IO.InvalidDataException>(() => connection.Post(new byte[] { 3 }, DateTime.UtcNow + Limit, default));
        Assert.Contains("not HTTP/1.x: SSH-2.0-OpenSSH_9.6", alien.Message);
        Assert.Equal(3, server.Connections);
    }

    [Fact]
    public void A_kept_alive_connection_the_collector_dropped_is_replaced_without_losing_the_request()
    {
        string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        using var server = new ScriptedServer(new[] { ok, ok, ok }, piece: 64, closeAfterEach: true, closeSilently: true);
        using var connection = new PlainHttpConnection(server.Url, "application/x-protobuf", gzip: true, Array.Empty<KeyValuePair<string, string>>(), "OtelGen/test");

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(200, connection.Post(new byte[] { 1, 2, 3 }, DateTime.UtcNow + Limit, default).Status);
            Assert.True(LoopbackCollector.WaitUntil(() => server.Closed == i + 1, Limit));
        }
        Assert.Equal(3, server.Heads.Count);
        Assert.Equal(3, server.Connections);
        Assert.All(server.Heads, h => Assert.Contains("Content-Encoding: gzip\r\n", h));
    }

    [Fact]
    public void No_answer_before_the_deadline_is_a_cancellation_and_a_refused_connection_a_socket_error()
    {
        using var server = new ScriptedServer(Array.Empty<string>(), piece: 1);
        using var connection = new PlainHttpConnection(server.Url, "application/x-protobuf", gzip: false, Array.Empty<KeyValuePair<string, string>>(), "OtelGen/test");
        Assert.ThrowsAny<OperationCanceledException>(() => connection.Post(new byte[] { 1 }, DateTime.UtcNow + TimeSpan.FromMilliseconds(300), default));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => connection.Post(new byte[] { 1 }, DateTime.UtcNow + Limit, cancel.Token));

        var closed = new Uri($"http://127.0.0.1:{LoopbackCollector.FreePort()}/v1/traces");
        using var nowhere = new PlainHttpConnection(closed, "application/x-protobuf", gzip: false, Array.Empty<KeyValuePair<string, string>>(), "OtelGen/test");
        Assert.ThrowsAny<SocketException>(() => nowhere.Post(new byte[] { 1 }, DateTime.UtcNow + Limit, default));
    }

    [Fact]
    public void A_collector_that_stops_reading_ends_the_request_at_the_deadline()
    {
        // A listener that never accepts: the kernel completes the connection, nobody reads, and once the
        // socket buffers are full every send would block. 32 MiB cannot fit in loopback's buffers.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/v1/traces");
            using var connection = new PlainHttpConnection(url, "application/x-protobuf", gzip: false, Array.Empty<KeyValuePair<string, string>>(), "OtelGen/test");
            var e = Assert.ThrowsAny<OperationCanceledException>(() => connection.Post(new byte[32 << 20], DateTime.UtcNow + TimeSpan.FromMilliseconds(500), default));
            Assert.Contains("took no more of the request", e.Message);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Reads each request (head + Content-Length body) and answers with the next script entry, <c>piece</c> bytes per write.</summary>
    private sealed class ScriptedServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string[] _answers;
        private readonly int _piece;
        private readonly bool _closeAfterEach;
        private readonly bool _closeSilently;
        private readonly Thread _thread;
        private int _next;
        private int _connections;
        private int _closed;

        public ScriptedServer(string[] answers, int piece, bool closeAfterEach = false, bool closeSilently = false)
        {
            _answers = answers;
            _piece = piece;
            _closeAfterEach = closeAfterEach;
            _closeSilently = closeSilently;
            _listener.Start();
            Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1/traces");
            _thread = new Thread(Serve) { IsBackground = true };
            _thread.Start();
        }

        public Uri Url { get; }
        public ConcurrentQueue<string> Heads { get; } = new();
        public ConcurrentQueue<int> BodyLengths { get; } = new();
        public int Connections => Volatile.Read(ref _connections);
        public int Closed => Volatile.Read(ref _closed);

        private void Serve()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = _listener.AcceptSocket();
                }
                catch (Exception)
                {
                    return;
                }
                Interlocked.Increment(ref _connections);
                new Thread(() => Talk(client)) { IsBackground = true }.Start();
            }
        }

        private void Talk(Socket client)
        {
            var buffer = new List<byte>();
            var chunk = new byte[4096];
            try
            {
                while (true)
                {
                    int headEnd;
                    while ((headEnd = IndexOf(buffer, "\r\n\r\n")) < 0)
                    {
                        int read = client.Receive(chunk);
                        if (read == 0)
                        {
                            return;
                        }
                        buffer.AddRange(chunk.Take(read));
                    }
                    string head = Encoding.ASCII.GetString(buffer.Take(headEnd + 4).ToArray());
                    int length = int.Parse(head.Split("\r\n").First(l => l.StartsWith("Content-Length:")).Substring(15).Trim());
                    while (buffer.Count < headEnd + 4 + length)
                    {
                        int read = client.Receive(chunk);
                        if (read == 0)
                        {
                            return;
                        }
                        buffer.AddRange(chunk.Take(read));
                    }
                    buffer.RemoveRange(0, headEnd + 4 + length);
                    Heads.Enqueue(head);
                    BodyLengths.Enqueue(length);
                    int index = Interlocked.Increment(ref _next) - 1;
                    if (index >= _answers.Length)
                    {
                        continue; // no answer: the client's deadline or cancellation must end the wait
                    }
                    byte[] answer = Encoding.ASCII.GetBytes(_answers[index]);
                    for (int at = 0; at < answer.Length; at += _piece)
                    {
                        client.Send(answer.AsSpan(at, Math.Min(_piece, answer.Length - at)));
                        Thread.Sleep(1);
                    }
                    if (_closeAfterEach || _answers[index].StartsWith("HTTP/1.0", StringComparison.Ordinal))
                    {
                        if (_closeSilently)
                        {
                            Thread.Sleep(50); // the client already has the answer and keeps the connection for the next request
                        }
                        return;
                    }
                }
            }
            catch (Exception)
            {
            }
            finally
            {
                client.Dispose();
                Interlocked.Increment(ref _closed);
            }
        }

        private static int IndexOf(List<byte> buffer, string pattern)
        {
            byte[] p = Encoding.ASCII.GetBytes(pattern);
            for (int i = 0; i + p.Length <= buffer.Count; i++)
            {
                int j = 0;
                while (j < p.Length && buffer[i + j] == p[j])
                {
                    j++;
                }
                if (j == p.Length)
                {
                    return i;
                }
            }
            return -1;
        }

        public void Dispose()
        {
            _listener.Stop();
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }
}
