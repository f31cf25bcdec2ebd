using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DotNext.Net.Security;

namespace ConfigCluster.Consensus;

/// <summary>
/// Mutual TLS for Raft peer traffic: every node presents its certificate and accepts a peer only
/// when the peer's certificate chains to one of <see cref="TrustedRoots"/> (the cluster's CA).
/// Host names are not checked: membership is what the CA vouches for. Both are read from their
/// files again when the files change (<see cref="ReloadingPemFiles{T}"/>): every new connection,
/// in either direction, presents and checks against what is on disk now.
/// </summary>
public sealed class PeerTls(ReloadingPemFiles<X509Certificate2> certificate, ReloadingPemFiles<X509Certificate2Collection> trustedRoots)
{
    /// <summary>This node's peer certificate, as on disk now.</summary>
    public X509Certificate2 Certificate => certificate.Current;

    /// <summary>The cluster's CA certificates, as on disk now.</summary>
    public X509Certificate2Collection TrustedRoots => trustedRoots.Current;

    /// <summary>The certificate and key files.</summary>
    public ReloadingPemFiles<X509Certificate2> CertificateFiles => certificate;

    /// <summary>The CA file.</summary>
    public ReloadingPemFiles<X509Certificate2Collection> TrustedRootFiles => trustedRoots;

    internal SslOptions ToSslOptions() => new()
    {
        ServerOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateSelectionCallback = (_, _) => Certificate,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = Validate,
        },
        ClientOptions = new SslClientAuthenticationOptions
        {
            LocalCertificateSelectionCallback = (_, _, _, _, _) => Certificate,
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
