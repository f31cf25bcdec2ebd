using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Contracts.Audit;

/// <summary>
/// Keys derived from the cluster secret (HKDF-SHA256), one per purpose, so the audit chain and
/// peer calls never share a key. The cluster secret is provisioned to every node and never enters
/// the replicated state, so snapshots and backups cannot yield these keys.
/// </summary>
public static class ClusterKeys
{
    /// <summary>Smallest accepted cluster secret, in bytes.</summary>
    public const int MinSecretBytes = 32;

    /// <summary>Purpose of the key that MACs audit lines.</summary>
    public const string AuditPurpose = "audit-chain";

    /// <summary>Purpose of the key that signs node-to-node calls.</summary>
    public const string PeerPurpose = "peer-calls";

    /// <summary>The 32-byte key for <paramref name="purpose"/>.</summary>
    public static byte[] Derive(ReadOnlySpan<byte> clusterSecret, string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        if (clusterSecret.Length < MinSecretBytes)
            throw new ArgumentException($"the cluster secret must be at least {MinSecretBytes} bytes", nameof(clusterSecret));
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, clusterSecret, key, salt: [], info: Encoding.ASCII.GetBytes("configcluster/" + purpose + "/v1"));
        return key;
    }

    /// <summary>
    /// A cluster secret derived from the bootstrap token (the fallback when none is provisioned).
    /// The replicated state holds only the token's SHA-256, from which this cannot be computed.
    /// </summary>
    public static byte[] FromBootstrapToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(token), 32, salt: [], info: Encoding.ASCII.GetBytes("configcluster/cluster-secret-from-bootstrap-token/v1"));
    }
}
