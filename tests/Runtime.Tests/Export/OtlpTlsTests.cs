using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Metrics;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// OTLP over TLS with the specification's settings: <c>OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE</c> (the PEM file of the
/// certificates to trust, instead of the system store), <c>…_CLIENT_CERTIFICATE</c>/<c>…_CLIENT_KEY</c> (mTLS) and
/// <c>…_INSECURE</c> (a gRPC endpoint without a scheme). Real collectors on 127.0.0.1 over real TLS: Grpc.AspNetCore on
/// Kestrel (HTTP/2, ALPN) and Kestrel answering OTLP/HTTP; certificates made in the test (<see cref="TestCertificates"/>).
/// </summary>
public sealed class OtlpTlsTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly string[] Variables =
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
        "OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY", "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
        "OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_METRICS_INSECURE", "OTEL_EXPORTER_OTLP_LOGS_INSECURE",
        "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        "OTEL_BSP_MAX_QUEUE_SIZE", "OTELGEN_EXPORT_SPOOL_DIR", "OTELGEN_EXPORT_FILE",
    };

    private readonly string _directory = ExportTestKit.UniqueTempDirectory();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static OtlpExporterOptions FromEnvironment(Dictionary<string, string> values)
    {
        OtlpExporterOptions options = ExportTestKit.WithEnvironment(Variables, values, OtlpExporterOptions.FromEnvironment);
        options.ScheduleDelay = TimeSpan.FromMilliseconds(20);
        options.MaxExportBatchSize = 100;
        options.Retry = new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(50) };
        options.ServiceName = "tls-tests";
        options.FlushOnProcessExit = false;
        return options;
    }

    /// <summary>Options whose failed exports end within about a second (connection failures are retried until the deadline).</summary>
    private static OtlpExporterOptions Failing(OtlpExporterOptions options)
    {
        options.Timeout = TimeSpan.FromSeconds(1);
        options.ExportTimeout = TimeSpan.FromSeconds(1);
        return options;
    }

    /// <summary>A metrics collector of a meter of its own with one counter that has a point, so that an export sends a request.</summary>
    private static (Meter Meter, MetricsCollector Collector) OneCounter()
    {
        var meter = new Meter("test.tls." + Guid.NewGuid().ToString("N"));
        var collector = new MetricsCollector(new MetricsCollectorOptions { Filter = i => ReferenceEquals(i.Meter, meter) });
        meter.CreateCounter<long>("app.requests").Add(1);
        return (meter, collector);
    }

    private static int SpanCount(GrpcCollector collector) =>
        collector.Received.Where(c => c.Method == "traces").Sum(c => ((ExportTraceServiceRequest)c.Request).ResourceSpans.SelectMany(r => r.ScopeSpans).Sum(s => s.Spans.Count));

    [Fact]
    public void Grpc_over_tls_trusts_the_certificate_file_of_the_environment_and_the_signals_own_variable_wins()
    {
        using X509Certificate2 server = TestCertificates.SelfSignedServer();
        using X509Certificate2 other = TestCertificates.SelfSignedServer();
        using var collector = new GrpcCollector(certificate: server);
        Assert.Equal("https", collector.Endpoint.Scheme);
        string trusted = TestCertificates.WriteCertificates(_directory, "collector.pem", server);
        string wrong = TestCertificates.WriteCertificates(_directory, "other.pem", other);

        OtlpExporterOptions options = FromEnvironment(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_CERTIFICATE"] = wrong,
            ["OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"] = trusted,
        });
        Assert.Equal(OtlpProtocol.Grpc, options.Protocol);
        Assert.Equal(trusted, options.CertificateFile);
        SpanRing ring = ExportTestKit.RingWith(120);
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.ForceFlush(Limit));
        Assert.True(exporter.Shutdown(Limit));

        Assert.All(collector.Received, c =>
        {
            Assert.Equal("https", c.Scheme);
            Assert.Equal("HTTP/2", c.Protocol);
            Assert.Null(c.ClientCertificate);
        });
        Assert.Equal(120, SpanCount(collector));
        Assert.Equal(120, exporter.Statistics.Exported);
        Assert.Equal(0, exporter.Statistics.Failures);
        ExportTestKit.AssertAccounted(exporter, 120);

        // Metrics read their own variable the same way: METRICS_CERTIFICATE names the wrong certificate, so the
        // collector is not trusted and the export fails (counted, nothing thrown), though the generic one is right.
        OtlpMetricsExporterOptions metrics = ExportTestKit.WithEnvironment(Variables, new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_CERTIFICATE"] = trusted,
            ["OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE"] = wrong,
        }, OtlpMetricsExporterOptions.FromEnvironment);
        Assert.Equal(wrong, metrics.CertificateFile);
        metrics.Timeout = TimeSpan.FromMilliseconds(500);
        metrics.FlushOnProcessExit = false;
        (Meter meter, MetricsCollector points) = OneCounter();
        using (meter)
        using (points)
        {
            metrics.Collector = points;
            int before = collector.Calls;
            using (var metricsExporter = new OtlpMetricsExporter(metrics, startThread: false))
            {
                ExportTestKit.CaptureStderr(() => Assert.False(metricsExporter.ExportNow()));
                Assert.Equal(1, metricsExporter.Failures);
            }
            Assert.Equal(before, collector.Calls);
        }
    }

    /// <summary>Logs take the same TLS settings: their own CERTIFICATE variable over the generic one, over gRPC.</summary>
    [Fact]
    public void Logs_over_grpc_and_tls_trust_the_logs_certificate_file()
    {
        using X509Certificate2 server = TestCertificates.SelfSignedServer();
        using X509Certificate2 other = TestCertificates.SelfSignedServer();
        using var collector = new GrpcCollector(certificate: server);
        string trusted = TestCertificates.WriteCertificates(_directory, "collector.pem", server);
        string wrong = TestCertificates.WriteCertificates(_directory, "other.pem", other);
        OtlpLogsExporterOptions options = ExportTestKit.WithEnvironment(Variables, new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_CERTIFICATE"] = wrong,
            ["OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE"] = trusted,
        }, OtlpLogsExporterOptions.FromEnvironment);
        Assert.Equal(trusted, options.CertificateFile);
        options.FlushOnProcessExit = false;
        using (var exporter = new OtlpLogsExporter(options, startThread: false))
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.True(exporter.TryEnqueue(new OtlpLogRecord { Body = "over tls " + i, SeverityNumber = 9, Category = "Tls" }, Array.Empty<KeyValue>()));
            }
            Assert.True(exporter.Flush(Limit));
            Assert.Equal(3, exporter.Statistics.Exported);
        }
        GrpcCall call = Assert.Single(collector.Received);
        Assert.Equal("logs", call.Method);
        Assert.Equal("https", call.Scheme);
        Assert.Equal(3, ((OpenTelemetry.Proto.Collector.Logs.V1.ExportLogsServiceRequest)call.Request).ResourceLogs.Sum(r => r.ScopeLogs.Sum(s => s.LogRecords.Count)));
    }

    [Fact]
    public void An_untrusted_collector_certificate_fails_the_export_and_the_spans_are_counted()
    {
        using X509Certificate2 server = TestCertificates.SelfSignedServer();
        using X509Certificate2 other = TestCertificates.SelfSignedServer();
        using var collector = new GrpcCollector(certificate: server);
        string otherFile = TestCertificates.WriteCertificates(_directory, "other.pem", other);

        // The system store does not trust a self-signed certificate; a file naming another certificate does not either:
        // the file's certificates are the only ones trusted.
        string allWarnings = "";
        foreach (string? certificateFile in new[] { null, otherFile })
        {
            OtlpExporterOptions options = Failing(ExportTestKit.Options(collector.Endpoint));
            options.Protocol = OtlpProtocol.Grpc;
            options.CertificateFile = certificateFile;
            options.Retry = new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(50) };
            SpanRing ring = ExportTestKit.RingWith(40);
            OtlpExporter exporter = null!;
            string warnings = ExportTestKit.CaptureStderr(() =>
            {
                exporter = new OtlpExporter(ring, options);
                exporter.ForceFlush(Limit);
                Assert.True(exporter.Shutdown(Limit));
            });

            ExporterStatistics s = exporter.Statistics;
            Assert.Equal(0, s.Exported);
            Assert.Equal(40, s.DroppedFailed);
            Assert.True(s.Failures >= 1, s.Failures.ToString());
            ExportTestKit.AssertAccounted(exporter, 40);
            allWarnings += warnings;
        }
        Assert.Equal(0, collector.Calls);
        // The warning (said once per process for the same text) names the endpoint and the setting to look at.
        Assert.Contains("cannot export to the OTLP/gRPC endpoint " + collector.Endpoint.GetLeftPart(UriPartial.Authority), allWarnings);
        Assert.Contains("needs OTEL_EXPORTER_OTLP_CERTIFICATE", allWarnings);
    }

    [Fact]
    public void A_CA_in_the_certificate_file_trusts_what_it_issued_and_mTLS_sends_the_client_certificate_for_every_signal()
    {
        using X509Certificate2 authority = TestCertificates.Authority("OtelGen test CA " + Guid.NewGuid().ToString("N"));
        using X509Certificate2 server = TestCertificates.IssueServer(authority);
        using X509Certificate2 client = TestCertificates.IssueClient(authority, "exporter");
        using var collector = new GrpcCollector(certificate: server, requireClientCertificate: true);
        string ca = TestCertificates.WriteCertificates(_directory, "ca.pem", authority);
        // The client's file holds its certificate, then its chain.
        string clientCertificate = TestCertificates.WriteCertificates(_directory, "client.pem", client, authority);
        string clientKey = TestCertificates.WriteKey(_directory, "client-key.pem", client);

        // Traces, from code.
        OtlpExporterOptions options = ExportTestKit.Options(collector.Endpoint);
        options.Protocol = OtlpProtocol.Grpc;
        options.CertificateFile = ca;
        options.ClientCertificateFile = clientCertificate;
        options.ClientKeyFile = clientKey;
        SpanRing ring = ExportTestKit.RingWith(30);
        var exporter = new OtlpExporter(ring, options);
        Assert.True(exporter.Shutdown(Limit));
        Assert.Equal(30, SpanCount(collector));
        Assert.All(collector.Received, c => Assert.Equal(client.Thumbprint, c.ClientCertificate));

        // Metrics, from the environment's METRICS_ variables.
        OtlpMetricsExporterOptions metrics = ExportTestKit.WithEnvironment(Variables, new()
        {
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE"] = ca,
            ["OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE"] = clientCertificate,
            ["OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY"] = clientKey,
        }, OtlpMetricsExporterOptions.FromEnvironment);
        metrics.FlushOnProcessExit = false;
        (Meter meter, MetricsCollector points) = OneCounter();
        using (meter)
        using (points)
        {
            metrics.Collector = points;
            using var metricsExporter = new OtlpMetricsExporter(metrics, startThread: false);
            Assert.True(metricsExporter.ExportNow());
        }
        // ExportNow, and the last export when the exporter is disposed.
        List<GrpcCall> metricsCalls = collector.Received.Where(c => c.Method == "metrics").ToList();
        Assert.NotEmpty(metricsCalls);
        Assert.All(metricsCalls, c =>
        {
            Assert.Equal(client.Thumbprint, c.ClientCertificate);
            Assert.Equal("https", c.Scheme);
        });

        // Without a client certificate, the collector refuses the handshake: a counted failure.
        OtlpExporterOptions anonymous = Failing(ExportTestKit.Options(collector.Endpoint));
        anonymous.Protocol = OtlpProtocol.Grpc;
        anonymous.CertificateFile = ca;
        SpanRing other = ExportTestKit.RingWith(10);
        OtlpExporter refused = null!;
        ExportTestKit.CaptureStderr(() =>
        {
            refused = new OtlpExporter(other, anonymous);
            Assert.True(refused.Shutdown(Limit));
        });
        Assert.Equal(10, refused.Statistics.DroppedFailed);
        Assert.Equal(0, refused.Statistics.Exported);
        Assert.Equal(30, SpanCount(collector));
    }

    [Fact]
    public void Otlp_http_over_tls_uses_the_certificate_file_and_the_client_certificate()
    {
        using X509Certificate2 authority = TestCertificates.Authority("OtelGen HTTP test CA " + Guid.NewGuid().ToString("N"));
        using X509Certificate2 server = TestCertificates.IssueServer(authority);
        using X509Certificate2 client = TestCertificates.IssueClient(authority, "http-exporter");
        using var collector = new HttpsCollector(server);
        string ca = TestCertificates.WriteCertificates(_directory, "ca.pem", authority);
        string clientCertificate = TestCertificates.WriteCertificates(_directory, "client.pem", client);
        string clientKey = TestCertificates.WriteKey(_directory, "client-key.pem", client);

        foreach (OtlpProtocol protocol in new[] { OtlpProtocol.HttpProtobuf, OtlpProtocol.HttpJson })
        {
            OtlpExporterOptions options = FromEnvironment(new()
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol == OtlpProtocol.HttpJson ? "http/json" : "http/protobuf",
                ["OTEL_EXPORTER_OTLP_CERTIFICATE"] = ca,
                ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"] = clientCertificate,
                ["OTEL_EXPORTER_OTLP_CLIENT_KEY"] = clientKey,
                // INSECURE means nothing to OTLP/HTTP: the https scheme decides.
                ["OTEL_EXPORTER_OTLP_INSECURE"] = "true",
            });
            Assert.Equal(collector.BaseUrl + "/v1/traces", options.Endpoint!.ToString());
            SpanRing ring = ExportTestKit.RingWith(50);
            var exporter = new OtlpExporter(ring, options);
            Assert.True(exporter.Shutdown(Limit));
            Assert.Equal(50, exporter.Statistics.Exported);
            ExportTestKit.AssertAccounted(exporter, 50);
        }
        List<HttpsCollector.Request> received = collector.Received;
        Assert.Contains(received, r => r.ContentType == "application/x-protobuf");
        Assert.Contains(received, r => r.ContentType == "application/json");
        Assert.All(received, r =>
        {
            Assert.Equal("/v1/traces", r.Path);
            Assert.Equal(client.Thumbprint, r.ClientCertificate);
        });
        List<string> names = received.Where(r => r.ContentType == "application/x-protobuf").SelectMany(r => ExportTestKit.SpanNames(r.Body)).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "span-" + i), names);

        // With the system store only, the same collector is not trusted: a counted failure.
        OtlpExporterOptions untrusted = Failing(ExportTestKit.Options(new Uri(collector.BaseUrl + "/v1/traces")));
        SpanRing rest = ExportTestKit.RingWith(20);
        OtlpExporter failed = null!;
        ExportTestKit.CaptureStderr(() =>
        {
            failed = new OtlpExporter(rest, untrusted);
            Assert.True(failed.Shutdown(Limit));
        });
        Assert.Equal(20, failed.Statistics.DroppedFailed);
        Assert.Equal(received.Count, collector.Received.Count);
    }

    [Fact]
    public void A_missing_or_malformed_certificate_file_gives_one_warning_and_sends_nothing()
    {
        using X509Certificate2 server = TestCertificates.SelfSignedServer();
        using var collector = new GrpcCollector(certificate: server);
        string missing = Path.Combine(_directory, "no-such-ca.pem");
        string garbage = Path.Combine(_directory, "garbage.pem");
        File.WriteAllText(garbage, "this is not a certificate\n");
        string broken = Path.Combine(_directory, "broken.pem");
        File.WriteAllText(broken, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

        foreach ((string file, string why) in new[] { (missing, "no such file"), (garbage, "holds no PEM certificate"), (broken, "") })
        {
            OtlpExporterOptions options = ExportTestKit.Options(collector.Endpoint);
            options.Protocol = OtlpProtocol.Grpc;
            options.CertificateFile = file;
            SpanRing ring = ExportTestKit.RingWith(25);
            OtlpExporter exporter = null!;
            string warnings = ExportTestKit.CaptureStderr(() =>
            {
                exporter = new OtlpExporter(ring, options);
                Assert.True(exporter.ForceFlush(Limit));
                Assert.True(exporter.Shutdown(Limit));
            });

            string warning = Assert.Single(warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("'" + file + "'", warning);
            Assert.Contains("OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE", warning);
            Assert.Contains(why, warning);
            Assert.Contains("nothing is sent", warning);
            // Each export failed at once, without connecting, and was counted.
            ExporterStatistics s = exporter.Statistics;
            Assert.Equal(0, s.Exported);
            Assert.Equal(25, s.DroppedFailed);
            Assert.Equal(0, s.Retries);
            ExportTestKit.AssertAccounted(exporter, 25);
        }
        Assert.Equal(0, collector.Calls);

        // The same file settings for a cleartext endpoint are not read: no warning, and the spans go out.
        using var cleartext = new GrpcCollector();
        OtlpExporterOptions plain = ExportTestKit.Options(cleartext.Endpoint);
        plain.Protocol = OtlpProtocol.Grpc;
        plain.CertificateFile = Path.Combine(_directory, "also-missing.pem");
        SpanRing plainRing = ExportTestKit.RingWith(5);
        OtlpExporter sent = null!;
        Assert.Equal("", ExportTestKit.CaptureStderr(() =>
        {
            sent = new OtlpExporter(plainRing, plain);
            Assert.True(sent.Shutdown(Limit));
        }));
        Assert.Equal(5, sent.Statistics.Exported);
    }

    [Fact]
    public void A_client_certificate_that_cannot_be_used_gives_one_warning_and_the_connection_goes_without_it()
    {
        using X509Certificate2 authority = TestCertificates.Authority("OtelGen client test CA " + Guid.NewGuid().ToString("N"));
        using X509Certificate2 server = TestCertificates.IssueServer(authority);
        using X509Certificate2 client = TestCertificates.IssueClient(authority, "client");
        using X509Certificate2 stranger = TestCertificates.IssueClient(authority, "stranger");
        using var collector = new GrpcCollector(certificate: server);
        string ca = TestCertificates.WriteCertificates(_directory, "ca.pem", authority);
        string certificate = TestCertificates.WriteCertificates(_directory, "client.pem", client);
        string otherKey = TestCertificates.WriteKey(_directory, "stranger-key.pem", stranger);
        string missingKey = Path.Combine(_directory, "missing-key.pem");

        foreach ((string? key, string expected) in new (string?, string)[] { (otherKey, "cannot be used"), (missingKey, "cannot be used"), (null, "needs both") })
        {
            OtlpExporterOptions options = ExportTestKit.Options(collector.Endpoint);
            options.Protocol = OtlpProtocol.Grpc;
            options.CertificateFile = ca;
            options.ClientCertificateFile = certificate;
            options.ClientKeyFile = key;
            SpanRing ring = ExportTestKit.RingWith(7);
            OtlpExporter exporter = null!;
            string warnings = ExportTestKit.CaptureStderr(() =>
            {
                exporter = new OtlpExporter(ring, options);
                Assert.True(exporter.Shutdown(Limit));
            });
            string warning = Assert.Single(warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(expected, warning);
            Assert.Contains("client certificate", warning);
            // The collector does not ask for one: the spans still go, without a client certificate.
            Assert.Equal(7, exporter.Statistics.Exported);
        }
        Assert.All(collector.Received, c => Assert.Null(c.ClientCertificate));
    }

    [Fact]
    public void Insecure_applies_only_to_a_grpc_endpoint_without_a_scheme()
    {
        OtlpExporterOptions Read(string endpoint, string? protocol, string? insecure, string? tracesInsecure = null)
        {
            var values = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint };
            if (protocol is not null)
            {
                values["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
            }
            if (insecure is not null)
            {
                values["OTEL_EXPORTER_OTLP_INSECURE"] = insecure;
            }
            if (tracesInsecure is not null)
            {
                values["OTEL_EXPORTER_OTLP_TRACES_INSECURE"] = tracesInsecure;
            }
            return FromEnvironment(values);
        }

        // gRPC, no scheme: secure by default (the specification's default for INSECURE is false), cleartext when true.
        Assert.Equal("https://collector:4317/", Read("collector:4317", "grpc", null).Endpoint!.ToString());
        Assert.Equal("https://collector:4317/", Read("collector:4317", "grpc", "false").Endpoint!.ToString());
        Assert.Equal("http://collector:4317/", Read("collector:4317", "grpc", "true").Endpoint!.ToString());
        Assert.Equal("http://collector:4317/", Read("collector:4317", "grpc", "TRUE").Endpoint!.ToString());
        Assert.Equal("http://[::1]:4317/", Read("[::1]:4317", "grpc", "true").Endpoint!.ToString());
        // The signal's own variable wins.
        Assert.Equal("https://collector:4317/", Read("collector:4317", "grpc", "true", tracesInsecure: "false").Endpoint!.ToString());
        // A scheme decides by itself.
        Assert.Equal("https://collector:4317/", Read("https://collector:4317", "grpc", "true").Endpoint!.ToString());
        Assert.Equal("http://collector:4317/", Read("http://collector:4317", "grpc", "false").Endpoint!.ToString());
        // OTLP/HTTP always needs a scheme: INSECURE does not make one.
        string warnings = ExportTestKit.CaptureStderr(() => Assert.Null(Read("collector-" + Guid.NewGuid().ToString("N")[..8] + ":4318", "http/protobuf", "true").Endpoint));
        Assert.Contains("is not an absolute http:// or https:// URL", warnings);
        // A value that is not a boolean: one warning, and the default (false).
        warnings = ExportTestKit.CaptureStderr(() => Assert.Equal("https://collector:4317/", Read("collector:4317", "grpc", "maybe-" + Guid.NewGuid().ToString("N")[..6]).Endpoint!.ToString()));
        Assert.Contains("OTEL_EXPORTER_OTLP_INSECURE", warnings);

        // And for real: a scheme-less endpoint with INSECURE=true reaches a cleartext collector; with the default, a TLS one.
        using var cleartext = new GrpcCollector();
        OtlpExporterOptions plain = Read("127.0.0.1:" + cleartext.Endpoint.Port, "grpc", "true");
        var exporter = new OtlpExporter(ExportTestKit.RingWith(9), plain);
        Assert.True(exporter.Shutdown(Limit));
        Assert.Equal(9, SpanCount(cleartext));
        Assert.All(cleartext.Received, c => Assert.Equal("http", c.Scheme));

        using X509Certificate2 server = TestCertificates.SelfSignedServer();
        using var tls = new GrpcCollector(certificate: server);
        var values = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "127.0.0.1:" + tls.Endpoint.Port,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_CERTIFICATE"] = TestCertificates.WriteCertificates(_directory, "server.pem", server),
        };
        var secure = new OtlpExporter(ExportTestKit.RingWith(4), FromEnvironment(values));
        Assert.True(secure.Shutdown(Limit));
        Assert.Equal(4, SpanCount(tls));
        Assert.All(tls.Received, c => Assert.Equal("https", c.Scheme));
    }

    /// <summary>
    /// An OTLP/HTTP collector on Kestrel over TLS (HTTP/1.1) that asks for a client certificate (any is accepted and
    /// recorded; none is allowed), answering every POST with 200 and keeping what came.
    /// </summary>
    private sealed class HttpsCollector : IDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<Request> _received = new();

        public sealed record Request(string Path, string? ContentType, byte[] Body, string? ClientCertificate);

        public HttpsCollector(X509Certificate2 certificate)
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.UseHttps(certificate, https =>
            {
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                https.AllowAnyClientCertificate();
            })));
            _app = builder.Build();
            _app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                _received.Enqueue(new Request(context.Request.Path, context.Request.ContentType, body.ToArray(), context.Connection.ClientCertificate?.Thumbprint));
                context.Response.ContentType = context.Request.ContentType;
                context.Response.ContentLength = 0;
            });
            _app.StartAsync().GetAwaiter().GetResult();
            string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            BaseUrl = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        }

        /// <summary><c>https://127.0.0.1:port</c>.</summary>
        public string BaseUrl { get; }

        public List<Request> Received => _received.ToList();

        public void Dispose()
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            _app.StopAsync(stopping.Token).GetAwaiter().GetResult();
            _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
