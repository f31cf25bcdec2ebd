using System.Net.Http;
using System.Security.Cryptography.X509Certificates;

namespace ConfigCluster.Client;

/// <summary>
/// Trust in the nodes' certificates from a private CA (<see cref="ConfigClusterClientOptions.CaCertificateFile"/>):
/// the CA certificates of a PEM file are the only roots a node's chain may end in, instead of the
/// system's store; the node's name is still checked against its certificate. As etcdctl's
/// <c>--cacert</c> and Vault's <c>VAULT_CACERT</c>.
/// </summary>
internal static class CaTrust
{
    /// <summary>Reads the CA certificates of <paramref name="file"/>; throws <see cref="ArgumentException"/> when there are none.</summary>
    public static X509Certificate2Collection Load(string file)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"ConfigClusterClientOptions.CaCertificateFile: cannot read '{file}' ({e.Message})", e);
        }

        if (roots.Count == 0)
            throw new ArgumentException($"ConfigClusterClientOptions.CaCertificateFile: '{file}' holds no PEM certificate");
        return roots;
    }

    /// <summary>Makes <paramref name="handler"/> trust only the CA certificates of <paramref name="file"/> (nothing changes when it is null).</summary>
    public static void Apply(SocketsHttpHandler handler, string? file)
    {
        if (string.IsNullOrEmpty(file))
            return;
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck, // a private CA publishes no revocation lists
        };
        policy.CustomTrustStore.AddRange(Load(file));
        handler.SslOptions.CertificateChainPolicy = policy;
    }
}
