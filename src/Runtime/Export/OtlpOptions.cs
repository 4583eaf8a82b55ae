using System;
using System.Collections.Generic;
using OtelGen.Export.Otlp;
using OtelGen.Spans;

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
    /// Where to send. OTLP/HTTP: the signal's full URL, used as is (e.g. <c>http://localhost:4318/v1/traces</c> or
    /// <c>…/v1/metrics</c>). OTLP/gRPC (<see cref="Protocol"/> <see cref="OtlpProtocol.Grpc"/>): the collector's base URL
    /// (e.g. <c>http://localhost:4317</c>; a path is kept as a prefix). <c>https://</c> is TLS, <c>http://</c> cleartext.
    /// Null: no export over the network. An endpoint the environment derived from <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> and
    /// left unchanged follows <see cref="Protocol"/> when code changes it between gRPC and HTTP (the base URL as is for
    /// gRPC, with the signal's path for HTTP).
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// <see cref="OtlpProtocol.HttpProtobuf"/> (default), <see cref="OtlpProtocol.HttpJson"/> or
    /// <see cref="OtlpProtocol.Grpc"/> (<c>OTEL_EXPORTER_OTLP_[SIGNAL_]PROTOCOL</c>: <c>http/protobuf</c>, <c>http/json</c>,
    /// <c>grpc</c>).
    /// </summary>
    public OtlpProtocol Protocol { get; set; } = OtlpProtocol.HttpProtobuf;

    /// <summary>
    /// True when <see cref="Protocol"/> is <see cref="OtlpProtocol.Grpc"/>. Setting it true selects gRPC; setting it false
    /// when gRPC was selected selects <see cref="OtlpProtocol.HttpProtobuf"/>.
    /// </summary>
    internal bool UseGrpc
    {
        get => Protocol == OtlpProtocol.Grpc;
        set
        {
            if (value)
            {
                Protocol = OtlpProtocol.Grpc;
            }
            else if (Protocol == OtlpProtocol.Grpc)
            {
                Protocol = OtlpProtocol.HttpProtobuf;
            }
        }
    }

    /// <summary>
    /// A PEM file of the certificates to trust for the collector's TLS certificate (<c>OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE</c>):
    /// the collector's certificate must chain to one of them, and the system's trust store is not used for it (its host
    /// name must still match). Read when the exporter starts, for <c>https://</c> endpoints only. A file that cannot be
    /// read or holds no certificate gives one warning and nothing is sent (every export fails and is counted).
    /// Null: the system's trust store.
    /// </summary>
    public string? CertificateFile { get; set; }

    /// <summary>
    /// A PEM file with the client certificate (then its chain, if any) sent for mTLS
    /// (<c>OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_CERTIFICATE</c>); needs <see cref="ClientKeyFile"/>. <c>https://</c> only.
    /// A pair that cannot be used gives one warning and no client certificate is sent.
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>
    /// A PEM file with the private key of <see cref="ClientCertificateFile"/>, unencrypted (PKCS#8, PKCS#1 or SEC1)
    /// (<c>OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_KEY</c>).
    /// </summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Extra request headers (for example an auth token). Values are never printed.</summary>
    public IList<KeyValuePair<string, string>> Headers { get; set; } = new List<KeyValuePair<string, string>>();

    /// <summary>Gzip request bodies (<c>OTEL_EXPORTER_OTLP_COMPRESSION=gzip</c>).</summary>
    public bool Gzip { get; set; }

    /// <summary>How long one export may take, retries included (<c>OTEL_EXPORTER_OTLP_TIMEOUT</c>, default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>service.name</c>; null: <c>OTEL_SERVICE_NAME</c>, else <c>unknown_service:&lt;process&gt;</c>.</summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// Resource attributes added to (and overriding) <c>OTEL_RESOURCE_ATTRIBUTES</c>. Every signal has its own options:
    /// give traces, metrics and logs the same ones, so that a backend sees one resource.
    /// </summary>
    public IList<KeyValue> ResourceAttributes { get; set; } = new List<KeyValue>();

    /// <summary>
    /// Send what the exporter holds when the process exits (<see cref="AppDomain.ProcessExit"/>, default true),
    /// bounded by the signal's own limits: see <see cref="OtlpExporterOptions.ExitFlushLimit"/> for traces,
    /// <see cref="Timeout"/> for metrics.
    /// </summary>
    public bool FlushOnProcessExit { get; set; } = true;

    // What the environment's generic endpoint (OTEL_EXPORTER_OTLP_ENDPOINT) made of Endpoint, so that a protocol chosen in
    // code gets that variable's rule for its own protocol (as is for gRPC, the signal's path appended for HTTP).
    private Uri? _endpointFromGeneric;
    private string? _genericEndpoint;
    private string? _signalPath;
    private bool _insecure;

    /// <summary>
    /// Reads the shared settings of <paramref name="signal"/> (<c>TRACES</c>, <c>METRICS</c>, <c>LOGS</c>) from the
    /// environment: the endpoint (the generic one with <paramref name="signalPath"/> appended, unless the protocol is gRPC),
    /// protocol, headers, compression, timeout, the TLS files and <c>OTEL_SERVICE_NAME</c>. A malformed value gives one
    /// warning and keeps its default.
    /// </summary>
    private protected void ReadSharedEnvironment(string signal, string signalPath)
    {
        Protocol = OtlpSignalSettings.Protocol(signal, Protocol);
        bool grpc = Protocol == OtlpProtocol.Grpc;
        // OTLP/gRPC names a service method, not a URL path: the generic endpoint is used as is.
        Endpoint = OtlpSignalSettings.Endpoint(signal, grpc ? null : signalPath, grpc, out string? generic);
        _endpointFromGeneric = generic is null ? null : Endpoint;
        _genericEndpoint = generic;
        _signalPath = signalPath;
        _insecure = OtlpSignalSettings.Insecure(signal);
        OtlpSignalSettings.Headers(signal, Headers);
        Gzip = OtlpSignalSettings.Gzip(signal);
        Timeout = OtlpSignalSettings.Timeout(signal, Timeout);
        CertificateFile = OtlpSignalSettings.Setting(signal, "CERTIFICATE");
        ClientCertificateFile = OtlpSignalSettings.Setting(signal, "CLIENT_CERTIFICATE");
        ClientKeyFile = OtlpSignalSettings.Setting(signal, "CLIENT_KEY");
        ServiceName = Configuration.EnvironmentSettings.Get("OTEL_SERVICE_NAME");
    }

    /// <summary>
    /// The endpoint to send to: <see cref="Endpoint"/>, except that one the environment derived from
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> for the other kind of protocol (gRPC or HTTP) than <see cref="Protocol"/> now
    /// names is derived again for this one. Null (with one warning) when that value does not suit this protocol.
    /// </summary>
    internal Uri? ResolvedEndpoint()
    {
        if (Endpoint is null || _endpointFromGeneric is null || !ReferenceEquals(Endpoint, _endpointFromGeneric) || _genericEndpoint is null)
        {
            return Endpoint;
        }
        bool grpc = Protocol == OtlpProtocol.Grpc;
        return OtlpSignalSettings.ParseEndpoint("OTEL_EXPORTER_OTLP_ENDPOINT", _genericEndpoint, grpc ? null : _signalPath, grpc, grpc && _insecure);
    }

    /// <summary>
    /// The sender for these settings: OTLP/gRPC calling <paramref name="grpcMethod"/> when <see cref="Protocol"/> is
    /// <see cref="OtlpProtocol.Grpc"/>, else OTLP/HTTP posting to <paramref name="endpoint"/>; with the TLS files
    /// (<see cref="CertificateFile"/>, <see cref="ClientCertificateFile"/>, <see cref="ClientKeyFile"/>) for https.
    /// </summary>
    internal IOtlpSender CreateTransport(Uri endpoint, string grpcMethod, RetryPolicy? retry = null)
    {
        OtlpTls? tls = OtlpTls.For(endpoint, CertificateFile, ClientCertificateFile, ClientKeyFile);
        return Protocol == OtlpProtocol.Grpc
            ? new OtlpGrpcTransport(endpoint, grpcMethod, Headers, Gzip, retry, tls: tls)
            : new OtlpHttpTransport(endpoint, Protocol, Headers, Gzip, retry, tls: tls);
    }

    /// <summary>Copies the shared settings (and what the environment's endpoint was made from) to <paramref name="target"/>.</summary>
    private protected void CopySharedTo(OtlpOptions target)
    {
        target.Endpoint = Endpoint;
        target.Protocol = Protocol;
        target.Headers = new List<KeyValuePair<string, string>>(Headers);
        target.Gzip = Gzip;
        target.Timeout = Timeout;
        target.ServiceName = ServiceName;
        target.ResourceAttributes = new List<KeyValue>(ResourceAttributes);
        target.FlushOnProcessExit = FlushOnProcessExit;
        target.CertificateFile = CertificateFile;
        target.ClientCertificateFile = ClientCertificateFile;
        target.ClientKeyFile = ClientKeyFile;
        target._endpointFromGeneric = _endpointFromGeneric;
        target._genericEndpoint = _genericEndpoint;
        target._signalPath = _signalPath;
        target._insecure = _insecure;
    }
}
