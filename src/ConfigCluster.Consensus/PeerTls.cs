using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DotNext.Net.Security;

namespace ConfigCluster.Consensus;

/// <summary>
/// Mutual TLS for Raft peer traffic: every node presents its certificate and accepts a peer only
/// when the peer's certificate chains to one of <see cref="TrustedRoots"/> (the cluster's CA).
/// Host names are not checked: membership is what the CA vouches for.
/// </summary>
public sealed class PeerTls(X509Certificate2 certificate, X509Certificate2Collection trustedRoots)
{
    public X509Certificate2 Certificate { get; } = certificate;

    public X509Certificate2Collection TrustedRoots { get; } = trustedRoots;

    internal SslOptions ToSslOptions() => new()
    {
        ServerOptions = new SslServerAuthenticationOptions
        {
            ServerCertificate = Certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = Validate,
        },
        ClientOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = [Certificate],
            RemoteCertificateValidationCallback = Validate,
            TargetHost = "configcluster-peer",
        },
    };

    /// <summary>True when <paramref name="presented"/> chains to the cluster's CA.</summary>
    public bool Validate(object? sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (presented is null)
            return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(TrustedRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = new X509Certificate2(presented);
        return custom.Build(certificate);
    }
}
