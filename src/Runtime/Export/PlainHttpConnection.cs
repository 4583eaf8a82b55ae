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
    // Registered once per token (the exporter passes the same one every time), not per request.
    private CancellationToken _registeredFor;
    private CancellationTokenRegistration _registration;

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
        if (cancel != _registeredFor)
        {
            _registration.Dispose();
            _registeredFor = cancel;
            _registration = cancel.Register(static state => ((PlainHttpConnection)state!).Close(), this);
        }
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

    public void Dispose()
    {
        _registration.Dispose();
        Close();
    }

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
        _headStart.AsSpan().CopyTo(_head);
        int at = _headStart.Length;
        int digits = 1;
        for (int rest = length / 10; rest > 0; rest /= 10)
        {
            digits++;
        }
        for (int i = at + digits - 1, rest = length; i >= at; i--, rest /= 10)
        {
            _head[i] = (byte)('0' + rest % 10);
        }
        at += digits;
        _head[at] = (byte)'\r';
        _head[at + 1] = (byte)'\n';
        _head[at + 2] = (byte)'\r';
        _head[at + 3] = (byte)'\n';
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
            int found = IndexOfBlankLine(_buffer.AsSpan(_start, _end - _start), searched);
            if (found >= 0)
            {
                return _start + found + 4;
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
        // Read from the bytes with a few loops of our own: string splitting, trimming and number parsing
        // per answer would make a short-lived process compile (and tier up) a dozen framework methods
        // just to read "200 OK" (docs/export.md, "The HTTP client").
        ReadOnlySpan<byte> head = _buffer.AsSpan(_start, headEnd - _start - 4);
        _start = headEnd;
        int statusEnd = IndexOfLineEnd(head, 0);
        ReadOnlySpan<byte> statusLine = statusEnd < 0 ? head : head.Slice(0, statusEnd);
        // HTTP/1.1 200 OK
        if (statusLine.Length < 12 || !StartsWithHttp1(statusLine) || !IsDigit(statusLine[9]) || !IsDigit(statusLine[10]) || !IsDigit(statusLine[11]))
        {
            throw new InvalidDataException("the collector answered something that is not HTTP/1.x: " + Latin1(statusLine.Length > 40 ? statusLine.Slice(0, 40) : statusLine));
        }
        int status = (statusLine[9] - '0') * 100 + (statusLine[10] - '0') * 10 + (statusLine[11] - '0');
        string reason = statusLine.Length > 13 ? Reason(statusLine.Slice(13)) : string.Empty;
        keepAlive = statusLine[7] == '1';
        long contentLength = -1;
        bool chunked = false;
        string? mediaType = null;
        TimeSpan? retryAfter = null;
        for (int at = statusEnd < 0 ? head.Length : statusEnd + 2; at < head.Length;)
        {
            int lineEnd = IndexOfLineEnd(head, at);
            ReadOnlySpan<byte> line = head.Slice(at, (lineEnd < 0 ? head.Length : lineEnd) - at);
            at = lineEnd < 0 ? head.Length : lineEnd + 2;
            int colon = IndexOf(line, (byte)':');
            if (colon <= 0)
            {
                continue;
            }
            ReadOnlySpan<byte> name = TrimSpaces(line.Slice(0, colon));
            ReadOnlySpan<byte> value = TrimSpaces(line.Slice(colon + 1));
            if (EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!TryParseDecimal(value, out contentLength))
                {
                    throw new InvalidDataException("the collector sent a bad Content-Length");
                }
            }
            else if (EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = ContainsIgnoreCase(value, "chunked"u8);
            }
            else if (EqualsIgnoreCase(name, "connection"u8))
            {
                if (ContainsIgnoreCase(value, "close"u8))
                {
                    keepAlive = false;
                }
                else if (ContainsIgnoreCase(value, "keep-alive"u8))
                {
                    keepAlive = true;
                }
            }
            else if (EqualsIgnoreCase(name, "content-type"u8))
            {
                int semicolon = IndexOf(value, (byte)';');
                mediaType = MediaType(TrimSpaces(semicolon >= 0 ? value.Slice(0, semicolon) : value));
            }
            else if (EqualsIgnoreCase(name, "retry-after"u8))
            {
                retryAfter = OtlpHttpTransport.ParseRetryAfter(Latin1(value), DateTimeOffset.UtcNow);
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
        if (length == 0)
        {
            return Array.Empty<byte>();
        }
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
            int found = IndexOfLineEnd(_buffer.AsSpan(_start, _end - _start), searched);
            if (found >= 0)
            {
                string line = Latin1(_buffer.AsSpan(_start, found));
                _start += found + 2;
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

    /// <summary>Where the first CR LF CR LF at or after <paramref name="from"/> starts; -1 if none.</summary>
    private static int IndexOfBlankLine(ReadOnlySpan<byte> bytes, int from)
    {
        for (int i = from; i + 3 < bytes.Length; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Where the first CR LF at or after <paramref name="from"/> starts; -1 if none.</summary>
    private static int IndexOfLineEnd(ReadOnlySpan<byte> bytes, int from)
    {
        for (int i = from; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    private static int IndexOf(ReadOnlySpan<byte> bytes, byte value)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == value)
            {
                return i;
            }
        }
        return -1;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool StartsWithHttp1(ReadOnlySpan<byte> line) =>
        line[0] == 'H' && line[1] == 'T' && line[2] == 'T' && line[3] == 'P' && line[4] == '/' && line[5] == '1' && line[6] == '.';

    private static ReadOnlySpan<byte> TrimSpaces(ReadOnlySpan<byte> text)
    {
        int from = 0;
        int to = text.Length;
        while (from < to && text[from] is (byte)' ' or (byte)'\t')
        {
            from++;
        }
        while (to > from && text[to - 1] is (byte)' ' or (byte)'\t')
        {
            to--;
        }
        return text.Slice(from, to - from);
    }

    /// <summary>ASCII comparison ignoring case; <paramref name="lower"/> is in lower case.</summary>
    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lower)
    {
        if (text.Length != lower.Length)
        {
            return false;
        }
        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if ((uint)(b - 'A') <= 'Z' - 'A')
            {
                b |= 0x20;
            }
            if (b != lower[i])
            {
                return false;
            }
        }
        return true;
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lower)
    {
        for (int i = 0; i + lower.Length <= text.Length; i++)
        {
            if (EqualsIgnoreCase(text.Slice(i, lower.Length), lower))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Digits only (as <c>NumberStyles.None</c>), at most 18 of them so that no overflow is possible.</summary>
    private static bool TryParseDecimal(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.Length is 0 or > 18)
        {
            return false;
        }
        foreach (byte b in digits)
        {
            if (!IsDigit(b))
            {
                return false;
            }
            value = value * 10 + (b - '0');
        }
        return true;
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);


    private static string Reason(ReadOnlySpan<byte> bytes) => bytes.Length == 2 && bytes[0] == 'O' && bytes[1] == 'K' ? "OK" : Latin1(bytes);

    // Media types ignore case: the two OTLP ones come back in their usual spelling, without decoding.
    private static string MediaType(ReadOnlySpan<byte> bytes) =>
        EqualsIgnoreCase(bytes, "application/x-protobuf"u8) ? "application/x-protobuf"
        : EqualsIgnoreCase(bytes, "application/json"u8) ? "application/json"
        : Latin1(bytes);

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
