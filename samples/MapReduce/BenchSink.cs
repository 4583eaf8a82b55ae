using System;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace OtelGen.Samples.MapReduce;

/// <summary>
/// For <c>bench --sink</c>: the least an OTLP/HTTP collector does, on 127.0.0.1 in the bench process. It reads
/// each request's head and body off the socket, counts requests and body bytes, and answers
/// <c>200</c> with an empty body on the same keep-alive connection, so that the agents' exporters do all
/// their work (encode, send, read the answer) while the sink itself costs the shared cores next to nothing
/// (a full HTTP server here took enough CPU and latency to show in the job's wall time).
/// Requests must carry a Content-Length, as OtelGen's exporter sends; others are answered 411 and counted.
/// Each connection has a thread of its own, blocking on its socket: an answer never waits for the thread
/// pool of this process, which is busy reading the agents' output.
/// </summary>
public sealed class BenchSink : IDisposable
{
    private static readonly byte[] s_ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    private static readonly byte[] s_lengthRequired = Encoding.ASCII.GetBytes("HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Thread _accepting;
    private long _requests;
    private long _bytes;
    private long _refused;

    /// <summary>Starts listening on a free loopback port.</summary>
    public BenchSink()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Endpoint = "http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = new Thread(Accept) { IsBackground = true, Name = "bench sink" };
        _accepting.Start();
    }

    /// <summary>The value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Requests answered 200 so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Body bytes of those requests.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Requests without a Content-Length, answered 411.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private void Accept()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (Exception) // closed by Dispose
            {
                return;
            }
            new Thread(() => Serve(connection)) { IsBackground = true, Name = "bench sink connection" }.Start();
        }
    }

    private void Serve(Socket connection)
    {
        using (connection)
        {
            var buffer = new byte[128 * 1024];
            int filled = 0;
            try
            {
                while (true)
                {
                    int headEnd;
                    while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                    {
                        if (filled == buffer.Length)
                        {
                            return; // a head this long is not an exporter's
                        }
                        int read = connection.Receive(buffer.AsSpan(filled));
                        if (read == 0)
                        {
                            return;
                        }
                        filled += read;
                    }
                    long length = ContentLength(buffer.AsSpan(0, headEnd));
                    if (length < 0)
                    {
                        Interlocked.Increment(ref _refused);
                        connection.Send(s_lengthRequired);
                        return;
                    }
                    // Discard the body: what is already buffered, then the rest as it arrives. Bytes past the
                    // body (a next request sent before this answer) move to the front of the buffer.
                    int bodyStart = headEnd + 4;
                    long buffered = Math.Min(length, filled - bodyStart);
                    long missing = length - buffered;
                    int next = bodyStart + (int)buffered;
                    filled -= next;
                    buffer.AsSpan(next, filled).CopyTo(buffer);
                    while (missing > 0)
                    {
                        int read = connection.Receive(buffer.AsSpan(0, (int)Math.Min(buffer.Length, missing)));
                        if (read == 0)
                        {
                            return;
                        }
                        missing -= read;
                    }
                    Interlocked.Add(ref _bytes, length);
                    Interlocked.Increment(ref _requests);
                    connection.Send(s_ok);
                }
            }
            catch (SocketException)
            {
                // The exporter hung up: nothing to answer.
            }
        }
    }

    // The Content-Length header's value, or -1 when there is none (or it is not a number).
    private static long ContentLength(ReadOnlySpan<byte> head)
    {
        ReadOnlySpan<byte> name = "content-length:"u8;
        while (head.Length > 0)
        {
            int end = head.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? head : head[..end];
            if (line.Length > name.Length && Ascii.EqualsIgnoreCase(line[..name.Length], name)
                && Utf8Parser.TryParse(line[name.Length..].Trim((byte)' '), out long value, out _) && value >= 0)
            {
                return value;
            }
            head = end < 0 ? default : head[(end + 2)..];
        }
        return -1;
    }

    /// <summary>Stops listening; connections still open end when their exporters hang up.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        _accepting.Join(TimeSpan.FromSeconds(5));
    }
}
