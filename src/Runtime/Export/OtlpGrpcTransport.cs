using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using OtelGen.Configuration;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>
/// OTLP/gRPC transport for traces and metrics, with the framework's HttpClient over HTTP/2 (prior knowledge on
/// <c>http://</c>, ALPN on <c>https://</c>) and no gRPC library: one unary <c>Export</c> call per request, the
/// protobuf body in a gRPC message frame (1-byte compressed flag, 4-byte big-endian length), <c>grpc-encoding: gzip</c>
/// when asked, the configured headers as metadata, <c>grpc-timeout</c> from the deadline. The answer is read from
/// <c>grpc-status</c>/<c>grpc-message</c> (trailers, or headers for a trailers-only answer). Retried exactly as the
/// OTLP specification's table says (CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS;
/// RESOURCE_EXHAUSTED only when the server sends <c>google.rpc.RetryInfo</c>), honouring RetryInfo's delay, with the
/// same backoff, deadline and <see cref="ExportResult"/> accounting as <see cref="OtlpHttpTransport"/>. Synchronous
/// to its caller (an exporter's own thread). Its requests carry no trace context and parent to no Activity.
/// </summary>
internal sealed class OtlpGrpcTransport : IOtlpSender
{
    /// <summary>The traces service method.</summary>
    public const string TracesPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    /// <summary>The metrics service method.</summary>
    public const string MetricsPath = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    /// <summary>The logs service method.</summary>
    public const string LogsPath = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

    // The OTLP specification's client-side limit for a response (gRPC's usual default).
    private const int MaxResponseBytes = 4 * 1024 * 1024;
    private const string RetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";

    private readonly HttpClient _client;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly RetryPolicy _retry;
    private readonly PooledBuffer _compressed = new(1024);
    private readonly PooledBuffer _framed = new(1024);
    private readonly HashSet<int> _explained = new();
    private readonly string _where;
    private readonly string? _unusable;
    private bool _warnedUnreachable;
    private long _retries;

    /// <summary>
    /// A transport calling <paramref name="method"/> (<see cref="TracesPath"/> or <see cref="MetricsPath"/>) on
    /// <paramref name="endpoint"/> (e.g. <c>http://localhost:4317</c>; a path there is kept as a prefix); for https, with
    /// the trusted certificates and client certificate of <paramref name="tls"/> (unless a <paramref name="handler"/> is
    /// given, which then has the say).
    /// </summary>
    public OtlpGrpcTransport(Uri endpoint, string method, IEnumerable<KeyValuePair<string, string>>? headers = null, bool gzip = false, RetryPolicy? retry = null, HttpMessageHandler? handler = null, OtlpTls? tls = null)
    {
        var builder = new UriBuilder(endpoint) { Query = string.Empty, Fragment = string.Empty };
        builder.Path = builder.Path.TrimEnd('/') + method;
        Endpoint = builder.Uri;
        Gzip = gzip;
        _retry = retry ?? new RetryPolicy();
        _headers = headers is null ? Array.Empty<KeyValuePair<string, string>>() : new List<KeyValuePair<string, string>>(headers).ToArray();
        // No ActivityHeadersPropagator: the exporter's requests never carry traceparent (they would name spans nobody exports).
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                AutomaticDecompression = DecompressionMethods.None,
                ActivityHeadersPropagator = null,
            };
            tls?.Apply(sockets.SslOptions);
            handler = sockets;
            _unusable = tls?.Unusable;
        }
        _client = new HttpClient(handler)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _where = OtlpHttpTransport.Describe(Endpoint);
    }

    /// <summary>The full URL of the Export method.</summary>
    public Uri Endpoint { get; }
    /// <summary>The body encoding: always protobuf (gRPC carries the binary messages; spooled batches are protobuf bodies).</summary>
    public OtlpProtocol Protocol => OtlpProtocol.HttpProtobuf;
    /// <summary>True when messages are gzip-compressed (<c>grpc-encoding: gzip</c>).</summary>
    public bool Gzip { get; }

    /// <summary>Calls retried so far (counted when the retry starts).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The gRPC status of the last answer (-1 when none came back). For tests and diagnostics.</summary>
    internal int LastGrpcStatus { get; private set; } = -1;

    /// <summary>The last delay a server asked for with RetryInfo, or null. For tests and diagnostics.</summary>
    internal TimeSpan? LastServerDelay { get; private set; }

    /// <summary>
    /// Calls Export with <paramref name="body"/> (an encoded Export*ServiceRequest) until it is accepted, refused,
    /// or <paramref name="deadline"/> (UTC) passes; with <paramref name="retry"/> false, once. Never throws.
    /// </summary>
    public ExportResult Send(ReadOnlyMemory<byte> body, DateTime deadline, CancellationToken cancel = default, bool retry = true)
    {
        if (_unusable is not null)
        {
            // No certificate of the collector can be trusted (OtlpTls warned once why): nothing is sent.
            return new ExportResult(ExportOutcome.RetryableFailure, 0, 0, 0);
        }
        try
        {
            Frame(body.Span);
        }
        catch (Exception e)
        {
            Diagnostics.Warn("could not gzip an OTLP/gRPC request: " + e.Message);
            return new ExportResult(ExportOutcome.Rejected, 0, 0, 0);
        }
        ReadOnlyMemory<byte> message = _framed.WrittenMemory;

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
            TimeSpan? serverDelay = null;
            try
            {
                GrpcAnswer answer = Call(message, remaining, cancel);
                status = answer.HttpStatus;
                LastGrpcStatus = answer.Code;
                if (answer.Code == 0)
                {
                    _warnedUnreachable = false;
                    long rejected = ReadPartialSuccess(answer.Message, out string? partial);
                    if (rejected > 0 || !string.IsNullOrEmpty(partial))
                    {
                        Diagnostics.Warn($"the collector at {_where} accepted a request partially: {rejected} item(s) rejected{(string.IsNullOrEmpty(partial) ? "" : ": " + partial)}. Not retried.");
                        return new ExportResult(ExportOutcome.PartialSuccess, attempts, status, rejected);
                    }
                    return new ExportResult(ExportOutcome.Success, attempts, status, 0);
                }
                serverDelay = ParseRetryInfo(answer.Details);
                LastServerDelay = serverDelay;
                if (!IsRetryable(answer.Code, serverDelay is not null))
                {
                    ExplainRefusal(answer);
                    return new ExportResult(ExportOutcome.Rejected, attempts, status, 0);
                }
                if (answer.Code == 4 && DateTime.UtcNow >= deadline)
                {
                    // The server gave up at our grpc-timeout: the export timeout has passed.
                    WarnUnreachable("no answer before the export timeout");
                    return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            catch (OperationCanceledException)
            {
                // The attempt ran into the deadline: the collector is too slow.
                status = 0;
                LastGrpcStatus = -1;
                WarnUnreachable("no answer before the export timeout");
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            catch (Exception e)
            {
                // Connection refused or reset, DNS, TLS, no HTTP/2: transient by OTLP's rules.
                status = 0;
                LastGrpcStatus = -1;
                WarnUnreachable(OtlpTls.Explain(e));
            }

            if (!retry)
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
            if (!_retry.WaitForRetry(ref backoff, serverDelay, deadline, cancel))
            {
                return new ExportResult(ExportOutcome.RetryableFailure, attempts, status, 0);
            }
        }
    }

    /// <summary>
    /// The OTLP specification's table: CANCELLED (1), DEADLINE_EXCEEDED (4), ABORTED (10), OUT_OF_RANGE (11),
    /// UNAVAILABLE (14), DATA_LOSS (15) are retried; RESOURCE_EXHAUSTED (8) only when the server sent RetryInfo.
    /// </summary>
    public static bool IsRetryable(int code, bool hasRetryInfo) => code is 1 or 4 or 10 or 11 or 14 or 15 || (code == 8 && hasRetryInfo);

    /// <summary>
    /// The gRPC status for an HTTP answer without <c>grpc-status</c> (gRPC's HTTP-to-gRPC mapping): 400 INTERNAL,
    /// 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, else UNKNOWN.
    /// </summary>
    public static int FromHttpStatus(int status) => status switch
    {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 or 502 or 503 or 504 => 14,
        _ => 2,
    };

    /// <summary>
    /// The delay of a <c>google.rpc.RetryInfo</c> in a <c>grpc-status-details-bin</c> value (base64 of a
    /// <c>google.rpc.Status</c>); null when absent, malformed or not positive. Capped at one hour.
    /// </summary>
    public static TimeSpan? ParseRetryInfo(string? detailsBin)
    {
        if (string.IsNullOrWhiteSpace(detailsBin))
        {
            return null;
        }
        try
        {
            string base64 = detailsBin.Trim();
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            byte[] status = Convert.FromBase64String(base64);
            // google.rpc.Status: repeated google.protobuf.Any details = 3; Any: type_url = 1, value = 2.
            int position = 0;
            ReadOnlySpan<byte> span = status;
            while (position < span.Length)
            {
                ulong key = ProtobufReader.ReadVarint(span, ref position);
                int wire = (int)(key & 7);
                if (wire == 2)
                {
                    int length = checked((int)ProtobufReader.ReadVarint(span, ref position));
                    if (length < 0 || position + length > span.Length)
                    {
                        return null;
                    }
                    ReadOnlySpan<byte> field = span.Slice(position, length);
                    position += length;
                    if ((key >> 3) == 3 && ProtobufReader.FindString(field, 1) == RetryInfoType)
                    {
                        // RetryInfo: google.protobuf.Duration retry_delay = 1 { int64 seconds = 1; int32 nanos = 2 }.
                        ReadOnlySpan<byte> duration = ProtobufReader.FindMessage(ProtobufReader.FindMessage(field, 2), 1);
                        long seconds = ProtobufReader.FindVarint(duration, 1);
                        long nanos = ProtobufReader.FindVarint(duration, 2);
                        double ms = seconds * 1000.0 + nanos / 1_000_000.0;
                        return ms > 0 ? TimeSpan.FromMilliseconds(Math.Min(ms, 3600_000)) : null;
                    }
                }
                else if (wire == 0)
                {
                    ProtobufReader.ReadVarint(span, ref position);
                }
                else if (wire == 1)
                {
                    position += 8;
                }
                else if (wire == 5)
                {
                    position += 4;
                }
                else
                {
                    return null;
                }
            }
        }
        catch (Exception)
        {
            // Malformed details: as if there were none.
        }
        return null;
    }

    /// <summary>Formats <c>grpc-timeout</c>: at most 8 digits, in milliseconds or, when longer, seconds.</summary>
    public static string FormatTimeout(TimeSpan remaining)
    {
        long ms = Math.Max(1, (long)Math.Ceiling(remaining.TotalMilliseconds));
        return ms < 100_000_000 ? ms.ToString(CultureInfo.InvariantCulture) + "m" : Math.Min(99_999_999, ms / 1000).ToString(CultureInfo.InvariantCulture) + "S";
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        _compressed.Dispose();
        _framed.Dispose();
    }

    /// <summary>Writes the gRPC message frame of <paramref name="body"/> (gzipped when asked) into <see cref="_framed"/>.</summary>
    private void Frame(ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> message = body;
        if (Gzip)
        {
            _compressed.Clear();
            using (var gzip = new GZipStream(new OtlpHttpTransport.BufferStream(_compressed), CompressionLevel.Fastest, leaveOpen: false))
            {
                gzip.Write(body);
            }
            message = _compressed.WrittenSpan;
        }
        _framed.Clear();
        Span<byte> header = _framed.GetSpan(5);
        header[0] = Gzip ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(header.Slice(1), (uint)message.Length);
        _framed.Advance(5);
        _framed.Write(message);
    }

    /// <summary>One unary call; parents to no Activity (the exporter's own request is never part of a trace).</summary>
    private GrpcAnswer Call(ReadOnlyMemory<byte> message, TimeSpan remaining, CancellationToken cancel)
    {
        Activity? outer = Activity.Current;
        Activity.Current = null;
        // HttpClient asks System.Net.Http's listeners before its first await, on this thread: OtelGen's own listener
        // then records nothing (even with System.Net.Http named) and stands in for nothing, or every export would
        // make spans to export.
        bool wasSuppressed = OtelGen.Activities.ActivityRecorder.SuppressOnThisThread(true);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(remaining);
            using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            var content = new ReadOnlyMemoryContent(message);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
            request.Content = content;
            request.Headers.TryAddWithoutValidation("te", "trailers");
            request.Headers.TryAddWithoutValidation("grpc-timeout", FormatTimeout(remaining));
            request.Headers.TryAddWithoutValidation("grpc-accept-encoding", "identity,gzip");
            if (Gzip)
            {
                request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
            }
            request.Headers.TryAddWithoutValidation("user-agent", "OtelGen/" + OtlpResource.SdkVersion);
            foreach (KeyValuePair<string, string> header in _headers)
            {
                // Metadata: HTTP/2 sends names lower-case. The names the protocol itself uses are not overridden.
                string name = header.Key.ToLowerInvariant();
                if (name is "content-type" or "te" or "user-agent" || name.StartsWith("grpc-", StringComparison.Ordinal) || name.StartsWith(':'))
                {
                    continue;
                }
                request.Headers.TryAddWithoutValidation(name, header.Value);
            }
            // HTTP/2 has no synchronous path in SocketsHttpHandler; this runs on the exporter's own thread.
            using HttpResponseMessage response = _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).GetAwaiter().GetResult();
            byte[] body = ReadBody(response, timeout.Token);
            string? code = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
            string? text = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
            string? details = Header(response.TrailingHeaders, "grpc-status-details-bin") ?? Header(response.Headers, "grpc-status-details-bin");
            int httpStatus = (int)response.StatusCode;
            int grpcStatus;
            if (code is not null && int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
            {
                grpcStatus = parsed;
            }
            else if (httpStatus != 200)
            {
                grpcStatus = FromHttpStatus(httpStatus);
                text ??= "HTTP " + httpStatus.ToString(CultureInfo.InvariantCulture) + " " + response.ReasonPhrase;
            }
            else
            {
                grpcStatus = 13; // INTERNAL: an answer without a status.
                text ??= "no grpc-status in the answer";
            }
            byte[] reply = grpcStatus == 0 ? Unframe(body, Header(response.Headers, "grpc-encoding")) : Array.Empty<byte>();
            return new GrpcAnswer(httpStatus, grpcStatus, text is null ? string.Empty : Uri.UnescapeDataString(text), details, reply);
        }
        finally
        {
            OtelGen.Activities.ActivityRecorder.SuppressOnThisThread(wasSuppressed);
            Activity.Current = outer;
        }
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;

    private static byte[] ReadBody(HttpResponseMessage response, CancellationToken token)
    {
        using Stream stream = response.Content.ReadAsStreamAsync(token).GetAwaiter().GetResult();
        using var memory = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = stream.ReadAsync(chunk, 0, chunk.Length, token).GetAwaiter().GetResult()) > 0)
        {
            if (memory.Length + read > MaxResponseBytes + 5)
            {
                throw new InvalidDataException("the OTLP/gRPC answer is larger than 4 MiB");
            }
            memory.Write(chunk, 0, read);
        }
        return memory.ToArray();
    }

    /// <summary>The first message of a gRPC response body, decompressed; empty when there is none.</summary>
    private static byte[] Unframe(byte[] body, string? encoding)
    {
        if (body.Length < 5)
        {
            return Array.Empty<byte>();
        }
        uint length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
        if (length > (uint)(body.Length - 5))
        {
            return Array.Empty<byte>();
        }
        byte[] message = body.AsSpan(5, (int)length).ToArray();
        if (body[0] == 0)
        {
            return message;
        }
        if (!string.Equals(encoding, "gzip", StringComparison.OrdinalIgnoreCase))
        {
            return Array.Empty<byte>();
        }
        using var gzip = new GZipStream(new MemoryStream(message), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (output.Length + read > MaxResponseBytes)
            {
                throw new InvalidDataException("the OTLP/gRPC answer is larger than 4 MiB");
            }
            output.Write(chunk, 0, read);
        }
        return output.ToArray();
    }

    private static long ReadPartialSuccess(byte[] message, out string? text)
    {
        text = null;
        try
        {
            return message.Length == 0 ? 0 : PartialSuccess.FromProtobuf(message, out text);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    private void WarnUnreachable(string why)
    {
        if (_warnedUnreachable)
        {
            return;
        }
        _warnedUnreachable = true;
        Diagnostics.Warn($"cannot export to the OTLP/gRPC endpoint {_where}: {why}. Retrying within the export timeout; spans that still cannot be sent are spooled (OTELGEN_EXPORT_SPOOL_DIR) or dropped and counted.");
    }

    private void ExplainRefusal(in GrpcAnswer answer)
    {
        if (!_explained.Add(answer.Code))
        {
            return;
        }
        string hint = answer.Code switch
        {
            16 or 7 => " (check the credentials in OTEL_EXPORTER_OTLP_HEADERS)",
            12 => " (is this an OTLP/gRPC receiver? Collectors listen for gRPC on port 4317, for http/protobuf on 4318)",
            8 => " (request too large: lower OTEL_BSP_MAX_EXPORT_BATCH_SIZE or enable OTEL_EXPORTER_OTLP_COMPRESSION=gzip)",
            _ => string.Empty,
        };
        string detail = answer.Text.Replace('\r', ' ').Replace('\n', ' ').Trim();
        if (detail.Length > 300)
        {
            detail = detail.Substring(0, 300) + "...";
        }
        Diagnostics.Warn($"the OTLP/gRPC endpoint {_where} refused a request with status {answer.Code} ({Name(answer.Code)}){hint}{(detail.Length > 0 ? ": " + detail : "")}. Such requests are dropped and counted, not retried.");
    }

    private static string Name(int code) => code switch
    {
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "code " + code.ToString(CultureInfo.InvariantCulture),
    };

    private readonly struct GrpcAnswer
    {
        public GrpcAnswer(int httpStatus, int code, string text, string? details, byte[] message)
        {
            HttpStatus = httpStatus;
            Code = code;
            Text = text;
            Details = details;
            Message = message;
        }

        public int HttpStatus { get; }
        public int Code { get; }
        public string Text { get; }
        public string? Details { get; }
        public byte[] Message { get; }
    }
}
