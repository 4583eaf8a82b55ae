using System;
using System.IO;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OtelGen.Configuration;

namespace OtelGen.Export;

/// <summary>
/// The TLS settings of an OTLP connection to an <c>https://</c> endpoint, read from PEM files once when the sender is
/// made: the certificates to trust for the collector's certificate (<c>OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE</c>,
/// <c>OtlpOptions.CertificateFile</c>) and the client certificate and key for mTLS (<c>…_CLIENT_CERTIFICATE</c>/<c>…_CLIENT_KEY</c>,
/// <c>OtlpOptions.ClientCertificateFile</c>/<c>ClientKeyFile</c>). Never throws: a file that cannot be used gives one warning.
/// </summary>
internal sealed class OtlpTls
{
    private OtlpTls()
    {
    }

    /// <summary>The certificates the collector's certificate must chain to, instead of the system's; null: the system store.</summary>
    public X509Certificate2Collection? TrustedCertificates { get; private set; }

    /// <summary>The client certificate (with its key and any chain in its file) sent for mTLS; null: none.</summary>
    public SslStreamCertificateContext? ClientCertificate { get; private set; }

    /// <summary>
    /// Why no collector can be trusted (the trusted-certificate file was named but could not be used); null when it can.
    /// A sender with such settings sends nothing: it fails each export at once, without connecting.
    /// </summary>
    public string? Unusable { get; private set; }

    /// <summary>
    /// The settings for <paramref name="endpoint"/>: null when it is not <c>https://</c> (the files are then not read)
    /// or when no file is named. Warns once for a file that cannot be used.
    /// </summary>
    public static OtlpTls? For(Uri endpoint, string? certificateFile, string? clientCertificateFile, string? clientKeyFile)
    {
        if (endpoint.Scheme != Uri.UriSchemeHttps)
        {
            return null;
        }
        bool trust = !string.IsNullOrWhiteSpace(certificateFile);
        bool clientCertificate = !string.IsNullOrWhiteSpace(clientCertificateFile);
        bool clientKey = !string.IsNullOrWhiteSpace(clientKeyFile);
        if (!trust && !clientCertificate && !clientKey)
        {
            return null;
        }
        string where = OtlpHttpTransport.Describe(endpoint);
        var tls = new OtlpTls();
        if (trust)
        {
            try
            {
                var certificates = new X509Certificate2Collection();
                certificates.ImportFromPemFile(certificateFile!);
                if (certificates.Count == 0)
                {
                    throw new CryptographicException("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
                }
                tls.TrustedCertificates = certificates;
            }
            catch (Exception e)
            {
                tls.Unusable = $"the trusted certificate file '{certificateFile}' (OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE, CertificateFile) cannot be used";
                Diagnostics.Warn($"OTLP: {tls.Unusable}: {Reason(e)}. No certificate of {where} can be trusted, so nothing is sent there; batches are spooled (OTELGEN_EXPORT_SPOOL_DIR) or dropped and counted.");
            }
        }
        if (clientCertificate != clientKey)
        {
            Diagnostics.Warn($"OTLP: mTLS needs both OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_KEY; only the {(clientCertificate ? "certificate ('" + clientCertificateFile + "')" : "key ('" + clientKeyFile + "')")} is set, so no client certificate is sent to {where}.");
        }
        else if (clientCertificate)
        {
            try
            {
                tls.ClientCertificate = LoadClientCertificate(clientCertificateFile!, clientKeyFile!);
            }
            catch (Exception e)
            {
                Diagnostics.Warn($"OTLP: the client certificate '{clientCertificateFile}' with the key '{clientKeyFile}' (OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_CERTIFICATE/_CLIENT_KEY, ClientCertificateFile/ClientKeyFile) cannot be used: {Reason(e)}. No client certificate is sent to {where}.");
            }
        }
        return tls;
    }

    /// <summary>
    /// Puts the settings into <paramref name="ssl"/>: the collector's certificate must chain to one of
    /// <see cref="TrustedCertificates"/> (they replace the system store; its name must still match the endpoint's host),
    /// and <see cref="ClientCertificate"/> is sent whenever the server asks for one.
    /// </summary>
    public void Apply(SslClientAuthenticationOptions ssl)
    {
        if (TrustedCertificates is not null)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                // As the default client settings: no revocation check, and nothing fetched to build the chain.
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.AddRange(TrustedCertificates);
            ssl.CertificateChainPolicy = policy;
        }
        if (ClientCertificate is not null)
        {
            ssl.ClientCertificateContext = ClientCertificate;
        }
    }

    /// <summary>
    /// What a failed connection was, for a warning: the innermost exception's message, and for a TLS handshake that
    /// failed, what to check (the trusted certificates, the client certificate).
    /// </summary>
    public static string Explain(Exception e)
    {
        string message = OtlpHttpTransport.Innermost(e).Message;
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return message + " (TLS: a collector with a private CA or a self-signed certificate needs OTEL_EXPORTER_OTLP_CERTIFICATE, a PEM file of the certificates to trust; one that asks for a client certificate needs OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY)";
            }
        }
        return message;
    }

    private static SslStreamCertificateContext LoadClientCertificate(string certificateFile, string keyFile)
    {
        X509Certificate2 leaf = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral key: give the certificate a key it can.
            X509Certificate2 ephemeral = leaf;
            leaf = new X509Certificate2(ephemeral.Export(X509ContentType.Pkcs12));
            ephemeral.Dispose();
        }
        // Certificates after the first in the file are the chain sent with it.
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certificateFile);
        for (int i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i].Thumbprint == leaf.Thumbprint)
            {
                chain.RemoveAt(i);
            }
        }
        return SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }

    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "not allowed to read it",
        _ => e.Message.TrimEnd('.'),
    };
}
