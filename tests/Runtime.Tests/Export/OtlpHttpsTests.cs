using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OtelGen.Export;
using OtelGen.Export.Otlp;
using OtelGen.Spans;
using Xunit;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// An https endpoint: a TLS collector on 127.0.0.1 with a self-signed certificate (trusted by the test's
/// handler only), speaking plain HTTP/1.1 inside the TLS stream. https goes through HttpClient, never the
/// plain-http client.
/// </summary>
public class OtlpHttpsTests
{
    [Fact]
    public void Spans_reach_an_https_collector_and_every_one_is_accounted_for()
    {
        using X509Certificate2 certificate = SelfSigned();
        using var collector = new TlsCollector(certificate);
        Assert.False(PlainHttpConnection.CanServe(collector.TracesUrl));

        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
        using var transport = new OtlpHttpTransport(collector.TracesUrl, OtlpProtocol.HttpProtobuf, handler: handler);
        SpanRing ring = ExportTestKit.RingWith(1000);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        var exporter = new OtlpExporter(ring, options, transport, cursor: null);
        Assert.True(exporter.ForceFlush(TimeSpan.FromSeconds(30)));
        Assert.True(exporter.Shutdown(TimeSpan.FromSeconds(30)));

        List<string> names = collector.Bodies.SelectMany(ExportTestKit.SpanNames).ToList();
        Assert.Equal(1000, names.Count);
        Assert.Equal(1000, names.Distinct().Count());
        Assert.All(collector.Paths, path => Assert.Equal("/v1/traces", path));
        Assert.Equal(1000, exporter.Statistics.Exported);
        ExportTestKit.AssertAccounted(exporter, 1000);
    }

    [Fact]
    public void An_untrusted_certificate_fails_the_export_and_the_spans_are_counted_as_failed()
    {
        using X509Certificate2 certificate = SelfSigned();
        using var collector = new TlsCollector(certificate);
        // The default handler: the self-signed certificate is not trusted, so TLS fails every attempt.
        using var transport = new OtlpHttpTransport(collector.TracesUrl, OtlpProtocol.HttpProtobuf,
            retry: new RetryPolicy { InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20) },
            handler: new SocketsHttpHandler());
        SpanRing ring = ExportTestKit.RingWith(100);
        OtlpExporterOptions options = ExportTestKit.Options(collector.TracesUrl);
        // Connection failures are retried until the export deadline: keep it short.
        options.ExportTimeout = TimeSpan.FromSeconds(1);
        options.Timeout = TimeSpan.FromSeconds(1);
        var exporter = new OtlpExporter(ring, options, transport, cursor: null);
        exporter.ForceFlush(TimeSpan.FromSeconds(30));
        Assert.True(exporter.Shutdown(TimeSpan.FromSeconds(30)));

        Assert.Empty(collector.Bodies);
        Assert.Equal(0, exporter.Statistics.Exported);
        Assert.Equal(100, exporter.Statistics.DroppedFailed);
        ExportTestKit.AssertAccounted(exporter, 100);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A TLS listener on 127.0.0.1 that answers every POST with 200 and keeps the bodies.</summary>
    private sealed class TlsCollector : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;

        public TlsCollector(X509Certificate2 certificate)
        {
            _certificate = certificate;
            _listener.Start();
            TracesUrl = new Uri("https://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port + "/v1/traces");
            _accepting = Task.Run(AcceptAsync);
        }

        public Uri TracesUrl { get; }

        public ConcurrentQueue<byte[]> Bodies { get; } = new();

        public ConcurrentQueue<string> Paths { get; } = new();

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            using (var tls = new SslStream(client.GetStream()))
            {
                try
                {
                    await tls.AuthenticateAsServerAsync(_certificate, clientCertificateRequired: false, checkCertificateRevocation: false);
                    while (await ReadRequestAsync(tls) is { } request)
                    {
                        Paths.Enqueue(request.Path);
                        Bodies.Enqueue(request.Body);
                        byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n");
                        await tls.WriteAsync(answer);
                    }
                }
                catch (Exception)
                {
                    // A client that gave up (untrusted certificate, shutdown) ends its connection here.
                }
            }
        }

        private static async Task<(string Path, byte[] Body)?> ReadRequestAsync(Stream stream)
        {
            var head = new List<byte>();
            var one = new byte[1];
            while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
            {
                if (await stream.ReadAsync(one) == 0)
                {
                    return null;
                }
                head.Add(one[0]);
            }
            string[] lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
            string path = lines[0].Split(' ')[1];
            int length = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(l => int.Parse(l.Substring("Content-Length:".Length).Trim())).Single();
            var body = new byte[length];
            await stream.ReadExactlyAsync(body);
            return (path, body);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
