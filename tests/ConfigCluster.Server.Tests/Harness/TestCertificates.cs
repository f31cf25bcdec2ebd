using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>A throwaway CA, certificates it issues as PEM files, and a probe of the certificate a TLS listener presents.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60));
    }

    /// <summary>A server-and-client certificate for 127.0.0.1 issued by <paramref name="ca"/>, with its key, as PEM.</summary>
    public static (string CertificatePem, string KeyPem, X509Certificate2 Certificate) Issue(X509Certificate2 ca, string name, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(8));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), certificate);
    }

    /// <summary>True when <paramref name="presented"/> chains to <paramref name="ca"/>.</summary>
    public static bool ChainsTo(X509Certificate? presented, X509Certificate2 ca)
    {
        if (presented is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = new X509Certificate2(presented);
        return chain.Build(certificate);
    }

    /// <summary>
    /// Opens a new TLS connection to 127.0.0.1:<paramref name="port"/> (presenting
    /// <paramref name="clientCertificate"/> when the listener asks for one) and returns the
    /// thumbprint of the certificate the listener presented, once it chained to <paramref name="ca"/>.
    /// </summary>
    public static async Task<string> PresentedThumbprintAsync(int port, X509Certificate2 ca, X509Certificate2? clientCertificate, CancellationToken cancellation)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellation);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            // Kestrel's HTTP/2-only gRPC listener wants h2; the Raft listener ignores it.
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            RemoteCertificateValidationCallback = (_, presented, _, _) => ChainsTo(presented, ca),
        }, cancellation);
        using var presented = new X509Certificate2(tls.RemoteCertificate!);
        return presented.Thumbprint;
    }
}
