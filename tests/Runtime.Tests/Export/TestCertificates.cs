using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OtelGen.Runtime.Tests.Export;

/// <summary>
/// Certificates made in the test with <see cref="CertificateRequest"/> (ECDSA P-256, valid for an hour): a CA, certificates
/// it issues for a server on 127.0.0.1 or a client, self-signed server certificates, and their PEM files.
/// </summary>
internal static class TestCertificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed server certificate for 127.0.0.1 and localhost, with its key.</summary>
    public static X509Certificate2 SelfSignedServer(string commonName = "127.0.0.1")
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = Leaf(commonName, key, ServerAuth);
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return Usable(created);
    }

    /// <summary>A CA certificate (with its key) that can issue others.</summary>
    public static X509Certificate2 Authority(string commonName)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddHours(2));
        return Usable(created);
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost issued by <paramref name="authority"/>, with its key.</summary>
    public static X509Certificate2 IssueServer(X509Certificate2 authority, string commonName = "127.0.0.1") => Issue(authority, commonName, ServerAuth);

    /// <summary>A client certificate issued by <paramref name="authority"/>, with its key.</summary>
    public static X509Certificate2 IssueClient(X509Certificate2 authority, string commonName) => Issue(authority, commonName, ClientAuth);

    /// <summary>Writes <paramref name="certificates"/> as PEM <c>CERTIFICATE</c> blocks into <paramref name="directory"/>/<paramref name="name"/>.</summary>
    public static string WriteCertificates(string directory, string name, params X509Certificate2[] certificates)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n")));
        return path;
    }

    /// <summary>Writes the private key of <paramref name="certificate"/> as an unencrypted PKCS#8 PEM file.</summary>
    public static string WriteKey(string directory, string name, X509Certificate2 certificate)
    {
        string path = Path.Combine(directory, name);
        using ECDsa key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        return path;
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string commonName, string usage)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = Leaf(commonName, key, usage);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        return Usable(withKey);
    }

    private static CertificateRequest Leaf(string commonName, ECDsa key, string usage)
    {
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(usage) }, critical: false));
        if (usage == ServerAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }
        return request;
    }

    // Through PKCS#12, so that the key is usable by SslStream (Kestrel) on every platform.
    private static X509Certificate2 Usable(X509Certificate2 created) =>
        X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
}
