using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>What the collector does with the n-th call (0-based, traces, metrics and logs counted together).</summary>
internal sealed record GrpcReply(StatusCode Code = StatusCode.OK, string Message = "", TimeSpan? RetryDelay = null, long Rejected = 0, string? PartialMessage = null, bool Hang = false)
{
    public static readonly GrpcReply Ok = new();
}

/// <summary>
/// One call as the server saw it: the decoded request, the metadata and how the message came (<paramref name="Scheme"/>
/// <c>https</c> over TLS; <paramref name="ClientCertificate"/> the thumbprint of the client's certificate, if it sent one).
/// </summary>
internal sealed record GrpcCall(string Method, IMessage Request, IReadOnlyDictionary<string, string> Metadata, string? GrpcEncoding, byte CompressedFlag, string ContentType, string Protocol,
    string Scheme = "http", string? ClientCertificate = null);

/// <summary>
/// A real OTLP/gRPC collector for tests: Grpc.AspNetCore on Kestrel, HTTP/2 on 127.0.0.1 and a free port, cleartext or,
/// with a <c>certificate</c>, TLS (ALPN h2; with <c>requireClientCertificate</c>, mTLS: any client certificate is
/// accepted and recorded, none is refused in the handshake), decoding requests with the official OTLP service
/// definitions (Protos/). Each call is recorded, then answered as <c>reply(n)</c> says. Disposing stops it (a hung call
/// ends with the server).
/// </summary>
internal sealed class GrpcCollector : IDisposable
{
    private readonly WebApplication _app;
    private readonly Func<int, GrpcReply> _reply;
    private readonly List<GrpcCall> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private int _count;

    public GrpcCollector(Func<int, GrpcReply>? reply = null, X509Certificate2? certificate = null, bool requireClientCertificate = false)
    {
        _reply = reply ?? (_ => GrpcReply.Ok);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o =>
        {
            o.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                o.UseHttps(certificate, https =>
                {
                    if (requireClientCertificate)
                    {
                        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        https.AllowAnyClientCertificate();
                    }
                });
            }
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        _app = builder.Build();
        // Peek at the raw gRPC frame (its compressed flag) before the gRPC server reads the message.
        _app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            context.Request.EnableBuffering();
            var header = new byte[5];
            int read = 0;
            while (read < 5)
            {
                int n = await context.Request.Body.ReadAsync(header.AsMemory(read));
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
            context.Items["flag"] = read > 0 ? header[0] : (byte)255;
            context.Request.Body.Position = 0;
            await next(context);
        });
        _app.MapGrpcService<TraceReceiver>();
        _app.MapGrpcService<MetricsReceiver>();
        _app.MapGrpcService<LogsReceiver>();
        _app.StartAsync().GetAwaiter().GetResult();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Endpoint = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>The base URL (<c>http://127.0.0.1:port</c>, or <c>https://</c>), as OTEL_EXPORTER_OTLP_ENDPOINT would name it.</summary>
    public Uri Endpoint { get; }

    public int Calls => Volatile.Read(ref _count);

    public List<GrpcCall> Received
    {
        get { lock (_calls) { return _calls.ToList(); } }
    }

    public void Dispose()
    {
        _stop.Cancel();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        _app.StopAsync(stopping.Token).GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task<GrpcReply> Answer(string method, IMessage request, ServerCallContext context)
    {
        HttpContext http = context.GetHttpContext();
        var metadata = context.RequestHeaders.Where(e => !e.IsBinary).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        var call = new GrpcCall(method, request, metadata, http.Request.Headers["grpc-encoding"].FirstOrDefault(), (byte)http.Items["flag"]!, http.Request.ContentType ?? "", http.Request.Protocol,
            http.Request.Scheme, http.Connection.ClientCertificate?.Thumbprint);
        int n = Interlocked.Increment(ref _count) - 1;
        lock (_calls)
        {
            _calls.Add(call);
        }
        GrpcReply reply = _reply(n);
        if (reply.Hang)
        {
            // Never answers: waits until the client gives up (or the collector stops).
            using var both = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stop.Token);
            await Task.Delay(Timeout.Infinite, both.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            throw new RpcException(new Status(StatusCode.Cancelled, "gave up"));
        }
        if (reply.Code != StatusCode.OK)
        {
            var trailers = new Metadata();
            if (reply.RetryDelay is { } delay)
            {
                trailers.Add("grpc-status-details-bin", StatusWithRetryInfo((int)reply.Code, reply.Message, delay));
            }
            throw new RpcException(new Status(reply.Code, reply.Message), trailers);
        }
        return reply;
    }

    /// <summary>A google.rpc.Status carrying a google.rpc.RetryInfo, encoded by hand (no googleapis protos needed).</summary>
    public static byte[] StatusWithRetryInfo(int code, string message, TimeSpan delay)
    {
        var duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(delay);
        byte[] retryInfo = Field(1, duration.ToByteArray());
        var any = new Google.Protobuf.WellKnownTypes.Any { TypeUrl = "type.googleapis.com/google.rpc.RetryInfo", Value = ByteString.CopyFrom(retryInfo) };
        var output = new System.IO.MemoryStream();
        var coded = new CodedOutputStream(output);
        coded.WriteTag(1, WireFormat.WireType.Varint);
        coded.WriteInt32(code);
        coded.WriteTag(2, WireFormat.WireType.LengthDelimited);
        coded.WriteString(message);
        coded.WriteTag(3, WireFormat.WireType.LengthDelimited);
        coded.WriteBytes(any.ToByteString());
        coded.Flush();
        return output.ToArray();
    }

    private static byte[] Field(int number, byte[] message)
    {
        var output = new System.IO.MemoryStream();
        var coded = new CodedOutputStream(output);
        coded.WriteTag(number, WireFormat.WireType.LengthDelimited);
        coded.WriteBytes(ByteString.CopyFrom(message));
        coded.Flush();
        return output.ToArray();
    }

    private sealed class TraceReceiver(GrpcCollector collector) : TraceService.TraceServiceBase
    {
        public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            GrpcReply reply = await collector.Answer("traces", request, context);
            var response = new ExportTraceServiceResponse();
            if (reply.Rejected > 0 || reply.PartialMessage is not null)
            {
                response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = reply.Rejected, ErrorMessage = reply.PartialMessage ?? "" };
            }
            return response;
        }
    }

    private sealed class MetricsReceiver(GrpcCollector collector) : MetricsService.MetricsServiceBase
    {
        public override async Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            GrpcReply reply = await collector.Answer("metrics", request, context);
            var response = new ExportMetricsServiceResponse();
            if (reply.Rejected > 0 || reply.PartialMessage is not null)
            {
                response.PartialSuccess = new ExportMetricsPartialSuccess { RejectedDataPoints = reply.Rejected, ErrorMessage = reply.PartialMessage ?? "" };
            }
            return response;
        }
    }

    private sealed class LogsReceiver(GrpcCollector collector) : LogsService.LogsServiceBase
    {
        public override async Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
        {
            GrpcReply reply = await collector.Answer("logs", request, context);
            var response = new ExportLogsServiceResponse();
            if (reply.Rejected > 0 || reply.PartialMessage is not null)
            {
                response.PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = reply.Rejected, ErrorMessage = reply.PartialMessage ?? "" };
            }
            return response;
        }
    }
}
