using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace OtelGen.Tests.Shared;

/// <summary>
/// A minimal OTLP/HTTP collector on 127.0.0.1 (a free port) for benchmarks and counting tests: HTTP/1.1 with keep-alive,
/// request bodies by <c>Content-Length</c> or chunked, every POST answered with <see cref="StatusCode"/> and an empty
/// body (<c>Content-Length: 0</c>). It keeps no request, only counts: requests, body bytes and, for protobuf
/// <c>ExportLogsServiceRequest</c> bodies, the log records in them and how many of those carry a trace id. One thread
/// per connection, blocking reads (an exporter keeps one connection). Disposing stops it.
/// </summary>
public sealed class OtlpHttpSink : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Thread _accept;
    private readonly List<TcpClient> _clients = new();
    private volatile bool _stopped;
    private long _requests;
    private long _bytes;
    private long _logRecords;
    private long _logRecordsWithTraceId;

    public OtlpHttpSink(int statusCode = 200)
    {
        StatusCode = statusCode;
        _listener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accept = new Thread(Accept) { IsBackground = true, Name = "OtlpHttpSink accept" };
        _accept.Start();
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>The status every request is answered with (200 unless set; 400 refuses, 503 asks for a retry).</summary>
    public int StatusCode { get; set; }

    /// <summary>Requests read whole (and answered).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Body bytes of those requests.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Log records in the protobuf <c>ExportLogsServiceRequest</c> bodies received.</summary>
    public long LogRecords => Interlocked.Read(ref _logRecords);

    /// <summary>Of <see cref="LogRecords"/>, those with a non-empty <c>trace_id</c>.</summary>
    public long LogRecordsWithTraceId => Interlocked.Read(ref _logRecordsWithTraceId);

    private void Accept()
    {
        while (!_stopped)
        {
            TcpClient client;
            try
            {
                client = _listener.AcceptTcpClient();
            }
            catch (Exception)
            {
                return;
            }
            client.NoDelay = true;
            lock (_clients)
            {
                _clients.Add(client);
            }
            new Thread(() => Serve(client)) { IsBackground = true, Name = "OtlpHttpSink connection" }.Start();
        }
    }

    private void Serve(TcpClient client)
    {
        try
        {
            using (client)
            {
                var input = new BufferedStream(client.GetStream(), 64 * 1024);
                Stream output = client.GetStream();
                var body = new MemoryStream();
                while (!_stopped)
                {
                    string? requestLine = ReadLine(input);
                    if (requestLine is null)
                    {
                        return; // the client closed the connection
                    }
                    if (requestLine.Length == 0)
                    {
                        continue;
                    }
                    long length = 0;
                    bool chunked = false;
                    bool close = false;
                    string? line;
                    while (!string.IsNullOrEmpty(line = ReadLine(input)))
                    {
                        int colon = line.IndexOf(':');
                        if (colon <= 0)
                        {
                            continue;
                        }
                        string name = line[..colon].Trim();
                        string value = line[(colon + 1)..].Trim();
                        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                        {
                            length = long.Parse(value);
                        }
                        else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                        {
                            chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                        }
                        else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                        {
                            close = value.Equals("close", StringComparison.OrdinalIgnoreCase);
                        }
                        else if (name.Equals("Expect", StringComparison.OrdinalIgnoreCase) && value.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                        {
                            output.Write("HTTP/1.1 100 Continue\r\n\r\n"u8);
                        }
                    }
                    if (line is null)
                    {
                        return;
                    }
                    body.SetLength(0);
                    if (chunked)
                    {
                        ReadChunked(input, body);
                    }
                    else
                    {
                        Copy(input, body, length);
                    }
                    Count(body.GetBuffer().AsSpan(0, (int)body.Length));
                    int status = StatusCode;
                    output.Write(Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Status")}\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n{(close ? "Connection: close\r\n" : "")}\r\n"));
                    if (close)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception) when (_stopped)
        {
        }
        catch (IOException)
        {
            // the client went away mid-request: nothing counted for it
        }
    }

    private void Count(ReadOnlySpan<byte> body)
    {
        long records = 0;
        long withTraceId = 0;
        try
        {
            // ExportLogsServiceRequest { 1: ResourceLogs { 2: ScopeLogs { 2: LogRecord { 9: trace_id } } } }, walked in place.
            int resources = 0;
            while (NextField(body, ref resources, 1, out ReadOnlySpan<byte> resource))
            {
                int scopes = 0;
                while (NextField(resource, ref scopes, 2, out ReadOnlySpan<byte> scope))
                {
                    int logRecords = 0;
                    while (NextField(scope, ref logRecords, 2, out ReadOnlySpan<byte> record))
                    {
                        records++;
                        int fields = 0;
                        while (NextField(record, ref fields, 9, out ReadOnlySpan<byte> traceId))
                        {
                            if (traceId.Length == 16)
                            {
                                withTraceId++;
                            }
                        }
                    }
                }
            }
        }
        catch (Exception)
        {
            // not a protobuf logs request: only requests and bytes count
            records = withTraceId = 0;
        }
        Interlocked.Add(ref _logRecords, records);
        Interlocked.Add(ref _logRecordsWithTraceId, withTraceId);
        Interlocked.Add(ref _bytes, body.Length);
        Interlocked.Increment(ref _requests);
    }

    /// <summary>
    /// The next length-delimited field numbered <paramref name="wanted"/> of a protobuf message from <paramref name="pos"/>
    /// on (other fields skipped); false at the end.
    /// </summary>
    private static bool NextField(ReadOnlySpan<byte> message, ref int pos, int wanted, out ReadOnlySpan<byte> field)
    {
        while (pos < message.Length)
        {
            ulong tag = Varint(message, ref pos);
            switch ((int)(tag & 7))
            {
                case 0: Varint(message, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    int length = checked((int)Varint(message, ref pos));
                    if (length < 0 || pos + length > message.Length)
                    {
                        throw new InvalidDataException("truncated");
                    }
                    int at = pos;
                    pos += length;
                    if ((int)(tag >> 3) == wanted)
                    {
                        field = message.Slice(at, length);
                        return true;
                    }
                    break;
                default: throw new InvalidDataException("wire type " + (tag & 7));
            }
        }
        if (pos != message.Length)
        {
            throw new InvalidDataException("truncated");
        }
        field = default;
        return false;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int pos)
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

    private static string? ReadLine(Stream input)
    {
        var line = new StringBuilder();
        while (true)
        {
            int b = input.ReadByte();
            if (b < 0)
            {
                return line.Length == 0 ? null : line.ToString();
            }
            if (b == '\n')
            {
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line.Length--;
                }
                return line.ToString();
            }
            line.Append((char)b);
        }
    }

    private static void ReadChunked(Stream input, MemoryStream body)
    {
        while (true)
        {
            string size = ReadLine(input) ?? throw new IOException("connection closed in a chunk header");
            int semicolon = size.IndexOf(';');
            long length = Convert.ToInt64(semicolon >= 0 ? size[..semicolon] : size, 16);
            if (length == 0)
            {
                while (!string.IsNullOrEmpty(ReadLine(input)))
                {
                    // trailers
                }
                return;
            }
            Copy(input, body, length);
            ReadLine(input); // the CRLF after the chunk
        }
    }

    private static void Copy(Stream input, MemoryStream body, long length)
    {
        Span<byte> buffer = stackalloc byte[16 * 1024];
        while (length > 0)
        {
            int read = input.Read(buffer[..(int)Math.Min(buffer.Length, length)]);
            if (read <= 0)
            {
                throw new IOException("connection closed in a body");
            }
            body.Write(buffer[..read]);
            length -= read;
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _listener.Stop();
        lock (_clients)
        {
            foreach (TcpClient client in _clients)
            {
                client.Dispose();
            }
        }
        _accept.Join(TimeSpan.FromSeconds(5));
    }
}
