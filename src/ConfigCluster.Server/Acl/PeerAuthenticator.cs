using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Authenticates node-to-node calls (forwarded writes): the sender signs the command with an
/// HMAC keyed from the cluster's bootstrap token hash, which every node holds in its replicated
/// state and no client sees. The leader trusts the author a signed command names.
/// Until TLS with client certificates protects the peer channel, this is what keeps clients
/// from proposing commands directly.
/// </summary>
public sealed class PeerAuthenticator(IVersionedStore store)
{
    public const string Header = "x-cc-peer-signature";
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("configcluster peer\0");
    private byte[]? key;

    public string? Sign(ReadOnlySpan<byte> command) => Key() is { } k ? Convert.ToHexStringLower(HMACSHA256.HashData(k, command)) : null;

    /// <summary>The call headers carrying the signature of <paramref name="payload"/>; null before the cluster is bootstrapped.</summary>
    public global::Grpc.Core.Metadata? SignedHeaders(ReadOnlySpan<byte> payload)
        => Sign(payload) is { } signature ? new global::Grpc.Core.Metadata { { Header, signature } } : null;

    public bool Verify(ReadOnlySpan<byte> command, string? signature)
    {
        if (signature is null || Sign(command) is not { } expected)
            return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    private byte[]? Key()
    {
        if (Volatile.Read(ref key) is { } cached)
            return cached;
        if (store.Tokens() is not { Count: > 0 } tokens)
            return null;
        var derived = SHA256.HashData([.. Label, .. tokens[0].TokenHash.Span]);
        Volatile.Write(ref key, derived);
        return derived;
    }
}
