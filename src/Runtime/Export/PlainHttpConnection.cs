using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace OtelGen.Export;

/// <summary>What a collector answered to one request, whichever client asked.</summary>
internal readonly struct CollectorAnswer
{
    public CollectorAnswer(int status, string reason, string? mediaType, TimeSpan? retryAfter, byte[] body)
    {
        Status = status;
        Reason = reason;
        MediaType = mediaType;
        RetryAfter = retryAfter;
        Body = body;
    }

    public int Status { get; }
    public string Reason { get; }
    public string? MediaType { get; }
    public TimeSpan? RetryAfter { get; }
    public byte[] Body { get; }
}

/// <summary>
/// One kept-alive HTTP/1.1 connection for POSTing to a plain <c>http://</c> collector that no proxy
/// stands in front of (the usual local agent or sidecar). A non-blocking socket driven on the exporter's
/// own thread, waiting with poll(2) up to the deadline: a short-lived process otherwise spends more CPU
/// compiling HttpClient's asynchronous stack than exporting its spans (see docs/export.md, "Drain rate"),
/// and a blocking .NET socket with timeouts waits through the runtime's socket event thread and the thread
/// pool (more of the same to compile, and two thread wake-ups per answer). Anything else (https, a proxy,
/// a custom handler) goes through HttpClient. Not thread-safe: one exporter thread uses it;
/// <see cref="Close"/> may come from any thread (cancellation).
/// </summary>
internal sealed class PlainHttpConnection : IDisposable
{
    private const int MaxHead = 64 * 1024;
    private const int MaxKeptBody = 64 * 1024;
    private const int MaxBody = 4 * 1024 * 1024;

    private readonly string _host;
    private readonly int _port;
    private readonly byte[] _headStart;
    private byte[] _head = new byte[512];
    private byte[] _buffer = new byte[8 * 1024];
    private int _start;
    private int _end;
    private Socket? _socket;
    // The current request's limits, read by every wait (set at the start of each attempt).
    private DateTime _deadline;
    private CancellationToken _cancel;

    public PlainHttpConnection(Uri endpoint, string contentType, bool gzip, IReadOnlyList<KeyValuePair<string, string>> headers, string userAgent)
    {
        _host = endpoint.IdnHost.Trim('[', ']'); // an IPv6 literal connects without its brackets
        _port = endpoint.Port;
        var head = new StringBuilder();
        head.Append("POST ").Append(endpoint.PathAndQuery).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(endpoint.IsDefaultPort ? endpoint.IdnHost : endpoint.IdnHost + ":" + endpoint.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        head.Append("User-Agent: ").Append(userAgent).Append("\r\n");
        head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        if (gzip)
        {
            head.Append("Content-Encoding: gzip\r\n");
        }
        foreach (KeyValuePair<string, string> header in headers)
        {
            // A header that would break the request's framing is left out (HttpClient refuses it too).
            if (header.Key.AsSpan().IndexOfAny("\r\n:") < 0 && header.Value.AsSpan().IndexOfAny('\r', '\n') < 0)
            {
                head.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
            }
        }
        head.Append("Content-Length: ");
        _headStart = Encoding.UTF8.GetBytes(head.ToString());
    }

    /// <summary>True when this client may serve <paramref name="endpoint"/>: plain http and no proxy configured for it.</summary>
    public static bool CanServe(Uri endpoint)
    {
        if (endpoint.Scheme != Uri.UriSchemeHttp || !string.IsNullOrEmpty(endpoint.UserInfo))
        {
            return false;
        }
        try
        {
            IWebProxy proxy = System.Net.Http.HttpClient.DefaultProxy;
            return proxy.IsBypassed(endpoint) || proxy.GetProxy(endpoint) is null;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// Posts <paramref name="body"/> and reads the whole answer, within <paramref name="deadline"/> (UTC).
    /// Throws <see cref="OperationCanceledException"/> on the deadline or <paramref name="cancel"/>, and
    /// <see cref="IOException"/> or <see cref="SocketException"/> when the connection fails.
    /// </summary>
    public CollectorAnswer Post(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel)
    {
        using CancellationTokenRegistration registration = cancel.Register(static state => ((PlainHttpConnection)state!).Close(), this);
        try
        {
            bool reused = _socket is not null;
            _deadline = deadline;
            _cancel = cancel;
            try
            {
                return Attempt(body);
            }
            catch (Exception e) when (reused && e is IOException or SocketException && !cancel.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                // The collector closed the kept-alive connection while it was idle: once more on a new one,
                // as HttpClient does (only when nothing of an answer had arrived, see ReadHead).
                Close();
            }
            return Attempt(body);
        }
        catch (Exception) when (cancel.IsCancellationRequested)
        {
            Close();
            throw new OperationCanceledException(cancel);
        }
        catch (Exception)
        {
            Close();
            throw;
        }
    }

    /// <summary>Closes the connection (the next request opens a new one); safe from any thread.</summary>
    public void Close()
    {
        Socket? socket = Interlocked.Exchange(ref _socket, null);
        if (socket is not null)
        {
            try
            {
                socket.Dispose();
            }
            catch (Exception)
            {
            }
        }
    }

    public void Dispose() => Close();

    private CollectorAnswer Attempt(ReadOnlyMemory<byte> body)
    {
        bool answered = false;
        Socket socket = _socket ?? Connect();
        _start = _end = 0;
        try
        {
            int headLength = WriteHead(body.Length);
            SendAll(socket, _head.AsSpan(0, headLength));
            SendAll(socket, body.Span);

            while (true)
            {
                int headEnd = ReadHead(socket, ref answered);
                CollectorAnswer answer = ParseAndReadBody(socket, headEnd, out bool keepAlive, out bool informational);
                if (informational)
                {
                    continue; // 100 Continue and the like: the real answer follows
                }
                if (!keepAlive)
                {
                    Close();
                }
                return answer;
            }
        }
        catch (Exception e) when (answered && e is IOException or SocketException)
        {
            // Part of an answer came: never resend on this path (the collector may have taken the spans).
            throw new InvalidDataException("the collector closed the connection in the middle of its answer", e);
        }
    }

    private Socket Connect()
    {
        // Synchronous all the way (no ConnectAsync: its machinery is most of what a short-lived process
        // would JIT here): non-blocking connect, then wait for writability up to the deadline. The socket
        // stays non-blocking: every later send and receive waits in Wait, on this thread.
        IPAddress[] addresses = IPAddress.TryParse(_host, out IPAddress? literal) ? new[] { literal } : Dns.GetHostAddresses(_host);
        Exception? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _socket = socket; // from here, a cancellation's Close() reaches it
            try
            {
                if (_deadline <= DateTime.UtcNow)
                {
                    throw new OperationCanceledException("no time left to connect");
                }
                socket.Blocking = false;
                try
                {
                    socket.Connect(new IPEndPoint(address, _port));
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                    Wait(socket, SelectMode.SelectWrite, "no connection before the export timeout");
                    var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                    if (error != SocketError.Success)
                    {
                        throw new SocketException((int)error);
                    }
                }
                return socket;
            }
            catch (SocketException e)
            {
                last = e;
                Close();
            }
            catch (Exception)
            {
                Close();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// Waits until <paramref name="socket"/> is ready for <paramref name="mode"/>, at most until the deadline.
    /// In slices, so that a cancellation is seen even where closing a socket does not wake a poll on it.
    /// </summary>
    private void Wait(Socket socket, SelectMode mode, string timeoutMessage)
    {
        while (true)
        {
            _cancel.ThrowIfCancellationRequested();
            double left = (_deadline - DateTime.UtcNow).TotalMilliseconds;
            if (left < 1)
            {
                throw new OperationCanceledException(timeoutMessage);
            }
            int micros = (int)Math.Min(WaitSliceMicros, Math.Ceiling(left * 1000));
            // A failed connect shows as writable on Linux but only as an error on Windows: either ends the
            // wait, and the caller's next call (or the socket's error option) says what went wrong.
            if (socket.Poll(micros, mode) || (mode == SelectMode.SelectWrite && socket.Poll(0, SelectMode.SelectError)))
            {
                return;
            }
        }
    }

    private const int WaitSliceMicros = 100_000;

    private int WriteHead(int length)
    {
        int needed = _headStart.Length + 16;
        if (_head.Length < needed)
        {
            _head = new byte[needed];
        }
        _headStart.CopyTo(_head, 0);
        int at = _headStart.Length;
        length.TryFormat(_head.AsSpan(at), out int digits, default, CultureInfo.InvariantCulture);
        at += digits;
        "\r\n\r\n"u8.CopyTo(_head.AsSpan(at));
        return at + 4;
    }

    private void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = socket.Send(data, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                Wait(socket, SelectMode.SelectWrite, "the collector took no more of the request before the export timeout");
                continue;
            }
            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }
            data = data.Slice(sent);
        }
    }

    /// <summary>Reads until a whole response head is buffered; returns the index just past its blank line.</summary>
    private int ReadHead(Socket socket, ref bool answered)
    {
        // Bytes after _start already searched; an offset from _start, because Fill may move the data.
        int searched = 0;
        while (true)
        {
            int found = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n\r\n"u8);
            if (found >= 0)
            {
                return _start + searched + found + 4;
            }
            searched = Math.Max(0, _end - _start - 3);
            if (_end - _start >= MaxHead)
            {
                throw new InvalidDataException("the collector's response head is too large");
            }
            if (Fill(socket) == 0)
            {
                throw answered || _end > _start
                    ? new InvalidDataException("the collector closed the connection in the middle of its answer")
                    : new IOException("the collector closed the connection without an answer");
            }
            answered = true;
        }
    }

    private CollectorAnswer ParseAndReadBody(Socket socket, int headEnd, out bool keepAlive, out bool informational)
    {
        string head = Encoding.Latin1.GetString(_buffer, _start, headEnd - _start - 4);
        _start = headEnd;
        string[] lines = head.Split("\r\n");
        string statusLine = lines[0];
        // HTTP/1.1 200 OK
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(statusLine.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            throw new InvalidDataException("the collector answered something that is not HTTP/1.x: " + (statusLine.Length > 40 ? statusLine.Substring(0, 40) : statusLine));
        }
        string reason = statusLine.Length > 13 ? statusLine.Substring(13) : string.Empty;
        keepAlive = statusLine[7] == '1';
        long contentLength = -1;
        bool chunked = false;
        string? mediaType = null;
        TimeSpan? retryAfter = null;
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            ReadOnlySpan<char> name = line.AsSpan(0, colon).Trim();
            string value = line.Substring(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out contentLength))
                {
                    throw new InvalidDataException("the collector sent a bad Content-Length");
                }
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                if (value.Contains("close", StringComparison.OrdinalIgnoreCase))
                {
                    keepAlive = false;
                }
                else if (value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase))
                {
                    keepAlive = true;
                }
            }
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                int semicolon = value.IndexOf(';');
                mediaType = (semicolon >= 0 ? value.Substring(0, semicolon) : value).Trim();
            }
            else if (name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase))
            {
                retryAfter = OtlpHttpTransport.ParseRetryAfter(value, DateTimeOffset.UtcNow);
            }
        }
        informational = status is >= 100 and < 200;
        if (informational)
        {
            return default;
        }
        byte[] body;
        if (status is 204 or 304)
        {
            body = Array.Empty<byte>();
        }
        else if (chunked)
        {
            body = ReadChunked(socket);
        }
        else if (contentLength >= 0)
        {
            if (contentLength > MaxBody)
            {
                keepAlive = false;
                body = Array.Empty<byte>();
            }
            else
            {
                body = ReadExactly(socket, (int)contentLength);
            }
        }
        else
        {
            // Neither a length nor chunks: the body ends when the collector closes the connection.
            keepAlive = false;
            body = ReadToClose(socket);
        }
        return new CollectorAnswer(status, reason, mediaType, retryAfter, body.Length > MaxKeptBody ? body.AsSpan(0, MaxKeptBody).ToArray() : body);
    }

    private byte[] ReadExactly(Socket socket, int length)
    {
        var body = new byte[length];
        int have = 0;
        while (have < length)
        {
            if (_end == _start && Fill(socket) == 0)
            {
                throw new InvalidDataException("the collector closed the connection in the middle of its answer");
            }
            int take = Math.Min(length - have, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(body.AsSpan(have));
            _start += take;
            have += take;
        }
        return body;
    }

    private byte[] ReadChunked(Socket socket)
    {
        using var body = new MemoryStream();
        while (true)
        {
            string sizeLine = ReadLine(socket);
            int semicolon = sizeLine.IndexOf(';');
            if (!int.TryParse(semicolon >= 0 ? sizeLine.AsSpan(0, semicolon) : sizeLine.AsSpan(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int size) || size < 0 || body.Length + size > MaxBody)
            {
                throw new InvalidDataException("the collector sent a bad chunk");
            }
            if (size == 0)
            {
                while (ReadLine(socket).Length > 0)
                {
                    // trailers: ignored
                }
                return body.ToArray();
            }
            body.Write(ReadExactly(socket, size));
            if (ReadLine(socket).Length != 0)
            {
                throw new InvalidDataException("the collector sent a bad chunk");
            }
        }
    }

    private string ReadLine(Socket socket)
    {
        int searched = 0;
        while (true)
        {
            int found = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n"u8);
            if (found >= 0)
            {
                string line = Encoding.Latin1.GetString(_buffer, _start, searched + found);
                _start += searched + found + 2;
                return line;
            }
            searched = Math.Max(0, _end - _start - 1);
            if (_end - _start >= MaxHead || Fill(socket) == 0)
            {
                throw new InvalidDataException("the collector sent a bad chunk");
            }
        }
    }

    private byte[] ReadToClose(Socket socket)
    {
        using var body = new MemoryStream();
        while (true)
        {
            body.Write(_buffer, _start, _end - _start);
            _start = _end;
            if (body.Length > MaxBody || Fill(socket) == 0)
            {
                return body.ToArray();
            }
        }
    }

    /// <summary>Receives more bytes after the buffered ones; 0 when the collector closed the connection.</summary>
    private int Fill(Socket socket)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }
        while (true)
        {
            int read = socket.Receive(_buffer.AsSpan(_end), SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                Wait(socket, SelectMode.SelectRead, "no answer before the export timeout");
                continue;
            }
            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }
            _end += read;
            return read;
        }
    }
}
