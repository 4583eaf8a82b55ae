using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>How one export (all its attempts) ended.</summary>
internal enum ExportOutcome
{
    /// <summary>The collector accepted everything.</summary>
    Success,
    /// <summary>The collector accepted the request but rejected some items (<c>partialSuccess</c>); not retried.</summary>
    PartialSuccess,
    /// <summary>The collector refused the request with a status that must not be retried (400, 413, other 4xx); dropped.</summary>
    Rejected,
    /// <summary>Every attempt failed with a retryable error and the deadline passed (collector down, overloaded or too slow).</summary>
    RetryableFailure,
}

/// <summary>What <see cref="OtlpHttpTransport.Send"/> found.</summary>
internal readonly struct ExportResult
{
    /// <summary>Makes a result.</summary>
    public ExportResult(ExportOutcome outcome, int attempts, int statusCode, long rejectedItems)
    {
        Outcome = outcome;
        Attempts = attempts;
        StatusCode = statusCode;
        RejectedItems = rejectedItems;
    }

    /// <summary>How it ended.</summary>
    public ExportOutcome Outcome { get; }
    /// <summary>HTTP requests made (retries are <c>Attempts - 1</c>).</summary>
    public int Attempts { get; }
    /// <summary>The last HTTP status, or 0 when no response came back.</summary>
    public int StatusCode { get; }
    /// <summary>Items the collector reported rejected in a partial success.</summary>
    public long RejectedItems { get; }
}

/// <summary>Retry timing for <see cref="OtlpHttpTransport"/>.</summary>
public sealed class RetryPolicy
{
    /// <summary>The first backoff (default 1 s).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The largest backoff (default 5 s).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How much the backoff grows per attempt (default 1.5).</summary>
    public double Multiplier { get; init; } = 1.5;

    /// <summary>
    /// Waits before the next attempt: the server's delay when it gave one (Retry-After, gRPC's RetryInfo), else
    /// <paramref name="backoff"/> with equal jitter (half fixed, half random, so that retries from many processes
    /// spread out), which then grows. False, without waiting, when the wait would pass <paramref name="deadline"/>
    /// (give up now rather than hold the batch for nothing) or <paramref name="cancel"/> fires.
    /// </summary>
    internal bool WaitForRetry(ref TimeSpan backoff, TimeSpan? serverDelay, DateTime deadline, CancellationToken cancel)
    {
        TimeSpan wait;
        if (serverDelay is { } delay)
        {
            wait = delay;
        }
        else
        {
            double ms = backoff.TotalMilliseconds;
            wait = TimeSpan.FromMilliseconds(ms / 2 + Random.Shared.NextDouble() * ms / 2);
            backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, ms * Multiplier));
        }
        return DateTime.UtcNow + wait < deadline && !cancel.WaitHandle.WaitOne(wait);
    }
}

/// <summary>
/// OTLP/HTTP transport for any signal: POSTs an encoded body to one URL (<c>/v1/traces</c>,
/// <c>/v1/metrics</c>) with the configured headers, optional gzip, and retries exactly as OTLP/HTTP says:
/// only 429, 502, 503, 504 and connection failures are retried, with exponential backoff and jitter,
/// honouring <c>Retry-After</c> (seconds or an HTTP date); everything within one deadline. Other 4xx are
/// not retried and explained once on stderr. Header values are never printed. Synchronous: it runs on
/// an exporter's own thread, never the application's.
/// </summary>
internal sealed class OtlpHttpTransport : IOtlpSender
{
    private readonly HttpClient _client;
    private readonly PlainHttpConnection? _plain;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly MediaTypeHeaderValue _contentType;
    private readonly RetryPolicy _retry;
    private readonly PooledBuffer _compressed = new(1024);
    private readonly HashSet<int> _explained = new();
    private readonly string _where;
    private readonly string? _unusable;
    private bool _warnedUnreachable;
    private long _retries;

    /// <summary>
    /// A transport posting to <paramref name="endpoint"/> (a full URL, e.g. <c>http://host:4318/v1/traces</c>); for
    /// https, with the trusted certificates and client certificate of <paramref name="tls"/> (unless a
    /// <paramref name="handler"/> is given, which then has the say).
    /// </summary>
    public OtlpHttpTransport(Uri endpoint, OtlpProtocol protocol, IEnumerable<KeyValuePair<string, string>>? headers = null, bool gzip = false, RetryPolicy? retry = null, HttpMessageHandler? handler = null, OtlpTls? tls = null)
    {
        Endpoint = endpoint;
        Protocol = protocol;
        Gzip = gzip;
        _retry = retry ?? new RetryPolicy();
        _headers = headers is null ? Array.Empty<KeyValuePair<string, string>>() : new List<KeyValuePair<string, string>>(headers).ToArray();
        _contentType = new MediaTypeHeaderValue(protocol == OtlpProtocol.HttpJson ? "application/json" : "application/x-protobuf");
        bool ownHandler = handler is null;
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), AutomaticDecompression = DecompressionMethods.None };
            tls?.Apply(sockets.SslOptions);
            handler = sockets;
            _unusable = tls?.Unusable;
        }
        _client = new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("OtelGen/" + OtlpResource.SdkVersion);
        if (ownHandler && PlainHttpConnection.CanServe(endpoint))
        {
            _plain = new PlainHttpConnection(endpoint, _contentType.MediaType!, gzip, _headers, "OtelGen/" + OtlpResource.SdkVersion);
        }
        _where = Describe(endpoint);
    }

    /// <summary>Where bodies go.</summary>
    public Uri Endpoint { get; }
    /// <summary>The body encoding (sets Content-Type).</summary>
    public OtlpProtocol Protocol { get; }
    /// <summary>True when bodies are gzip-compressed.</summary>
    public bool Gzip { get; }

    /// <summary>Requests retried so far (counted when the retry starts, so it moves while a send is still under way).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>
    /// Posts <paramref name="body"/> until it is accepted, refused, or <paramref name="deadline"/>
    /// (UTC) passes; with <paramref name="retry"/> false, makes one attempt only (a probe while the
    /// collector is known to be down). <paramref name="cancel"/> stops waiting at once. Never throws.
    /// </summary>
    public ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true)
    {
        if (_unusable is not null)
        {
            // No certificate of the collector can be trusted (OtlpTls warned once why): nothing is sent.
            return new ExportResult(ExportOutcome.RetryableFailure, 0, 0, 0);
        }
        ReadOnlyMemory<byte> payload = body;
        try
        {
            if (Gzip)
            {
                _compressed.Clear();
                using (var gzip = new GZipStream(new BufferStream(_compressed), CompressionLevel.Fastest, leaveOpen: false))
                {
                    gzip.Write(body.Span);
                }
                payload = _compressed.WrittenMemory;
            }
        }
        catch (Exception e)
        {
            Diagnostics.Warn("could not gzip an OTLP request: " + e.Message);
            return new ExportResult(ExportOutcome.Rejected, 0, 0, 0);
        }

        int attempts = 0;
        int status = 0;
        TimeSpan backoff = _retry.InitialBackoff;
        while (true)
        {
            TimeSpan remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || cancel.IsCancellationRequested)
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            if (attempts > 0)
            {
                Interlocked.Increment(ref _retries);
            }
            attempts++;
            TimeSpan? retryAfter = null;
            try
            {
                CollectorAnswer answer = _plain is not null ? _plain.Post(payload, deadline, cancel) : PostWithHttpClient(payload, remaining, cancel);
                status = answer.Status;
                if (status is >= 200 and < 300)
                {
                    _warnedUnreachable = false;
                    long rejected = ReadPartialSuccess(answer, out string? message);
                    if (rejected > 0 || !string.IsNullOrEmpty(message))
                    {
                        Diagnostics.Warn($"the collector at {_where} accepted a request partially: {rejected} item(s) rejected{(string.IsNullOrEmpty(message) ? "" : ": " + message)}. Not retried.");
                        return new ExportResult(ExportOutcome.PartialSuccess, attempts, status, rejected);
                    }
                    return new ExportResult(ExportOutcome.Success, attempts, status, 0);
                }
                if (!IsRetryable(status))
                {
                    ExplainRefusal(answer);
                    return new ExportResult(ExportOutcome.Rejected, attempts, status, 0);
                }
                retryAfter = answer.RetryAfter;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            catch (OperationCanceledException)
            {
                // The attempt ran into the deadline: the collector is too slow.
                status = 0;
                WarnUnreachable("no answer before the export timeout");
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            catch (Exception e)
            {
                // Connection refused, reset, DNS, TLS: transient by OTLP's rules.
                status = 0;
                WarnUnreachable(OtlpTls.Explain(e));
            }

            if (!retry)
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            if (!_retry.WaitForRetry(ref backoff, retryAfter, deadline, cancel))
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
        }
    }

    /// <summary>True for the statuses OTLP/HTTP says to retry: 429, 502, 503, 504.</summary>
    public static bool IsRetryable(int status) => status is 429 or 502 or 503 or 504;

    /// <summary>Parses a <c>Retry-After</c> value: delay seconds or an HTTP date; null when absent or malformed.</summary>
    public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        value = value.Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, 24 * 3600));
        }
        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out DateTimeOffset date)
            || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out date))
        {
            TimeSpan delay = date - now;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }
        return null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _plain?.Dispose();
        _client.Dispose();
        _compressed.Dispose();
    }

    /// <summary>One attempt through HttpClient (https, a proxy, or a handler given by the caller).</summary>
    private CollectorAnswer PostWithHttpClient(ReadOnlyMemory<byte> payload, TimeSpan remaining, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(remaining);
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint);
        var content = new ReadOnlyMemoryContent(payload);
        content.Headers.ContentType = _contentType;
        if (Gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }
        request.Content = content;
        foreach (KeyValuePair<string, string> header in _headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        using HttpResponseMessage response = _client.Send(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        byte[] body;
        try
        {
            body = ReadBody(response, timeout.Token);
        }
        catch (Exception) when (!timeout.IsCancellationRequested)
        {
            body = Array.Empty<byte>();
        }
        return new CollectorAnswer((int)response.StatusCode, response.ReasonPhrase ?? string.Empty, response.Content.Headers.ContentType?.MediaType, ReadRetryAfter(response), body);
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            TimeSpan delay = date - DateTimeOffset.UtcNow;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }
        return response.Headers.TryGetValues("Retry-After", out IEnumerable<string>? values)
            ? ParseRetryAfter(string.Join(",", values), DateTimeOffset.UtcNow)
            : null;
    }

    private void WarnUnreachable(string why)
    {
        if (_warnedUnreachable)
        {
            return;
        }
        _warnedUnreachable = true;
        Diagnostics.Warn($"cannot export to the OTLP endpoint {_where}: {why}. Retrying within the export timeout; spans that still cannot be sent are spooled (OTELGEN_EXPORT_SPOOL_DIR) or dropped and counted.");
    }

    private void ExplainRefusal(in CollectorAnswer answer)
    {
        int status = answer.Status;
        if (!_explained.Add(status))
        {
            return;
        }
        string detail = ReadErrorMessage(answer);
        string hint = status == 413 ? " (request too large: lower OTEL_BSP_MAX_EXPORT_BATCH_SIZE or enable OTEL_EXPORTER_OTLP_COMPRESSION=gzip)"
            : status is 401 or 403 ? " (check the credentials in OTEL_EXPORTER_OTLP_HEADERS)"
            : status == 404 ? " (check the endpoint path; OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is)"
            : string.Empty;
        Diagnostics.Warn($"the OTLP endpoint {_where} refused a request with HTTP {status} {answer.Reason}{hint}{(detail.Length > 0 ? ": " + detail : "")}. Such requests are dropped and counted, not retried.");
    }

    private static string ReadErrorMessage(in CollectorAnswer answer)
    {
        try
        {
            byte[] bytes = answer.Body;
            if (bytes.Length == 0)
            {
                return string.Empty;
            }
            string? mediaType = answer.MediaType;
            string text;
            if (mediaType is not null && mediaType.Contains("protobuf", StringComparison.OrdinalIgnoreCase))
            {
                // google.rpc.Status: message is field 2.
                text = ProtobufReader.FindString(bytes, 2) ?? string.Empty;
            }
            else
            {
                text = Encoding.UTF8.GetString(bytes);
            }
            text = text.Replace('\r', ' ').Replace('\n', ' ').Trim();
            return text.Length > 300 ? text.Substring(0, 300) + "..." : text;
        }
        catch (Exception)
        {
            return string.Empty;
        }
    }

    private long ReadPartialSuccess(in CollectorAnswer answer, out string? message)
    {
        message = null;
        try
        {
            byte[] bytes = answer.Body;
            if (bytes.Length == 0)
            {
                return 0;
            }
            string? mediaType = answer.MediaType;
            bool json = mediaType is not null ? mediaType.Contains("json", StringComparison.OrdinalIgnoreCase) : Protocol == OtlpProtocol.HttpJson;
            return json ? PartialSuccess.FromJson(bytes, out message) : PartialSuccess.FromProtobuf(bytes, out message);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    private static byte[] ReadBody(HttpResponseMessage response, CancellationToken token)
    {
        using Stream stream = response.Content.ReadAsStream(token);
        using var memory = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while (memory.Length < 64 * 1024 && (read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            memory.Write(chunk, 0, read);
        }
        return memory.ToArray();
    }

    /// <summary>The exception at the bottom of <paramref name="e"/>'s chain: what a connection failure really was (refused, reset, TLS).</summary>
    internal static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }
        return e;
    }

    /// <summary>The endpoint for messages: no user info, no query (either may hold a secret).</summary>
    internal static string Describe(Uri endpoint) => endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    /// <summary>A write-only stream appending to a <see cref="PooledBuffer"/> (for GZipStream).</summary>
    internal sealed class BufferStream : Stream
    {
        private readonly PooledBuffer _buffer;
        public BufferStream(PooledBuffer buffer) => _buffer = buffer;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _buffer.Length;
        public override long Position { get => _buffer.Length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _buffer.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => _buffer.Write(buffer);
    }
}

/// <summary>Reads the <c>partial_success</c> of an OTLP export response (same shape for every signal).</summary>
internal static class PartialSuccess
{
    public static long FromProtobuf(ReadOnlySpan<byte> body, out string? message)
    {
        message = null;
        // Export*ServiceResponse: partial_success = 1 { rejected_* = 1 (int64), error_message = 2 }.
        ReadOnlySpan<byte> partial = ProtobufReader.FindMessage(body, 1);
        if (partial.IsEmpty)
        {
            return 0;
        }
        message = ProtobufReader.FindString(partial, 2);
        return ProtobufReader.FindVarint(partial, 1);
    }

    public static long FromJson(byte[] body, out string? message)
    {
        message = null;
        using var document = System.Text.Json.JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("partialSuccess", out System.Text.Json.JsonElement partial) || partial.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return 0;
        }
        long rejected = 0;
        foreach (System.Text.Json.JsonProperty property in partial.EnumerateObject())
        {
            if (property.Name.StartsWith("rejected", StringComparison.Ordinal))
            {
                rejected = property.Value.ValueKind == System.Text.Json.JsonValueKind.String
                    ? long.Parse(property.Value.GetString()!, CultureInfo.InvariantCulture)
                    : property.Value.GetInt64();
            }
            else if (property.Name == "errorMessage")
            {
                message = property.Value.GetString();
            }
        }
        return rejected;
    }
}
