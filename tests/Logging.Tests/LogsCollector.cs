using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace OtelGen.Logging.Tests;

/// <summary>
/// A loopback OTLP logs collector on Kestrel (127.0.0.1, free ports): <c>POST /v1/logs</c> over HTTP/1.1
/// (protobuf decoded with the official protos, JSON kept as a document) and the gRPC LogsService over HTTP/2
/// cleartext. Everything it receives is kept; disposing stops it.
/// </summary>
internal sealed class LogsCollector : IDisposable
{
    private readonly WebApplication _app;
    private readonly List<ExportLogsServiceRequest> _requests = new();
    private readonly List<JsonDocument> _json = new();
    private readonly List<string> _paths = new();

    public LogsCollector()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        _app = builder.Build();
        _app.MapPost("/v1/logs", async (HttpContext context) =>
        {
            Stream body = context.Request.Body;
            if (context.Request.Headers.ContentEncoding.ToString() == "gzip")
            {
                body = new GZipStream(body, CompressionMode.Decompress);
            }
            var buffer = new MemoryStream();
            await body.CopyToAsync(buffer);
            lock (_requests)
            {
                _paths.Add(context.Request.Path);
                if (context.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true)
                {
                    _json.Add(JsonDocument.Parse(buffer.ToArray()));
                    context.Response.ContentType = "application/json";
                    return Results.Text("{}", "application/json");
                }
                _requests.Add(ExportLogsServiceRequest.Parser.ParseFrom(buffer.ToArray()));
            }
            return Results.Bytes(Array.Empty<byte>(), "application/x-protobuf");
        });
        _app.MapGrpcService<Receiver>();
        _app.StartAsync().GetAwaiter().GetResult();
        string[] addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToArray();
        HttpEndpoint = new Uri(addresses[0].Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        GrpcEndpoint = new Uri(addresses[1].Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>The OTLP/HTTP base URL (append <c>/v1/logs</c>).</summary>
    public Uri HttpEndpoint { get; }

    /// <summary>The OTLP/gRPC base URL.</summary>
    public Uri GrpcEndpoint { get; }

    /// <summary>The protobuf and gRPC requests received.</summary>
    public List<ExportLogsServiceRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    /// <summary>The JSON requests received.</summary>
    public List<JsonDocument> JsonRequests
    {
        get
        {
            lock (_requests)
            {
                return _json.ToList();
            }
        }
    }

    /// <summary>Every log record received over protobuf or gRPC, with its scope name.</summary>
    public List<(string Scope, OpenTelemetry.Proto.Logs.V1.LogRecord Record)> Records =>
        Requests.SelectMany(r => r.ResourceLogs).SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords.Select(l => (s.Scope.Name, l))).ToList();

    internal void Add(ExportLogsServiceRequest request)
    {
        lock (_requests)
        {
            _paths.Add("grpc");
            _requests.Add(request);
        }
    }

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
    }

    private sealed class Receiver(LogsCollector collector) : LogsService.LogsServiceBase
    {
        public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
        {
            collector.Add(request);
            return Task.FromResult(new ExportLogsServiceResponse());
        }
    }
}
