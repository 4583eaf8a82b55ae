using System;
using System.Collections.Generic;
using OtelGen.Export.Otlp;

namespace OtelGen.Export;

/// <summary>
/// The settings every OTLP signal's exporter shares: where to send, how to encode and compress, how long one
/// export may take, the service it reports as, and whether it sends what it holds when the process exits.
/// <see cref="OtlpExporterOptions"/> (traces) and <see cref="OtlpMetricsExporterOptions"/> (metrics) add their own;
/// each reads these from <c>OTEL_EXPORTER_OTLP_{SIGNAL}_*</c>, else <c>OTEL_EXPORTER_OTLP_*</c>.
/// </summary>
public abstract class OtlpOptions
{
    private protected OtlpOptions()
    {
    }

    /// <summary>
    /// The signal's full URL, used as is (e.g. <c>http://localhost:4318/v1/traces</c> or <c>…/v1/metrics</c>);
    /// null: no HTTP export.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary><c>http/protobuf</c> (default) or <c>http/json</c>.</summary>
    public OtlpProtocol Protocol { get; set; } = OtlpProtocol.HttpProtobuf;

    /// <summary>
    /// OTLP/gRPC instead of OTLP/HTTP (<c>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</c>): <see cref="Endpoint"/> is then the
    /// collector's base URL (e.g. <c>http://localhost:4317</c>) and bodies are protobuf. Set from the environment only.
    /// </summary>
    internal bool UseGrpc { get; set; }

    /// <summary>Extra request headers (for example an auth token). Values are never printed.</summary>
    public IList<KeyValuePair<string, string>> Headers { get; set; } = new List<KeyValuePair<string, string>>();

    /// <summary>Gzip request bodies (<c>OTEL_EXPORTER_OTLP_COMPRESSION=gzip</c>).</summary>
    public bool Gzip { get; set; }

    /// <summary>How long one export may take, retries included (<c>OTEL_EXPORTER_OTLP_TIMEOUT</c>, default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>service.name</c>; null: <c>OTEL_SERVICE_NAME</c>, else <c>unknown_service:&lt;process&gt;</c>.</summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// Send what the exporter holds when the process exits (<see cref="AppDomain.ProcessExit"/>, default true),
    /// bounded by the signal's own limits: see <see cref="OtlpExporterOptions.ExitFlushLimit"/> for traces,
    /// <see cref="Timeout"/> for metrics.
    /// </summary>
    public bool FlushOnProcessExit { get; set; } = true;

    /// <summary>
    /// Reads the shared settings of <paramref name="signal"/> (<c>TRACES</c>, <c>METRICS</c>) from the environment:
    /// the endpoint (the generic one with <paramref name="signalPath"/> appended), protocol, headers, compression,
    /// timeout and <c>OTEL_SERVICE_NAME</c>. A malformed value gives one warning and keeps its default.
    /// </summary>
    private protected void ReadSharedEnvironment(string signal, string signalPath)
    {
        Protocol = OtlpSignalSettings.Protocol(signal, Protocol, out bool grpc);
        UseGrpc = grpc;
        // OTLP/gRPC names a service method, not a URL path: the generic endpoint is used as is.
        Endpoint = OtlpSignalSettings.Endpoint(signal, grpc ? null : signalPath);
        OtlpSignalSettings.Headers(signal, Headers);
        Gzip = OtlpSignalSettings.Gzip(signal);
        Timeout = OtlpSignalSettings.Timeout(signal, Timeout);
        ServiceName = Configuration.EnvironmentSettings.Get("OTEL_SERVICE_NAME");
    }
}
