using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Contracts.Peer;

/// <summary>
/// What a node-to-node call is bound to: a unique id, the Raft term the sender saw, and the commit
/// index it saw. The receiver refuses a stamp of another term, or one whose commit index lies too
/// far behind its own (the call's deadline, counted in log entries rather than by a wall clock),
/// and remembers ids inside that window to refuse replays.
/// </summary>
public readonly record struct PeerStamp(string Id, long Term, long SeenIndex)
{
    /// <summary>The header text: <c>id.term.index</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id}.{Term}.{SeenIndex}");

    /// <summary>A new stamp with a random 128-bit id.</summary>
    public static PeerStamp New(long term, long seenIndex) => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), term, seenIndex);

    /// <summary>Parses a header; false when malformed.</summary>
    public static bool TryParse(string? text, out PeerStamp stamp)
    {
        stamp = default;
        var parts = text?.Split('.');
        if (parts is not { Length: 3 } || parts[0].Length != 32 || !parts[0].All(Uri.IsHexDigit)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var term)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return false;
        stamp = new PeerStamp(parts[0], term, index);
        return true;
    }
}

/// <summary>The signature of a node-to-node call: HMAC-SHA256 of the stamp and the payload, keyed with the peer key.</summary>
public static class PeerSignature
{
    /// <summary>Header carrying the signature (hex).</summary>
    public const string SignatureHeader = "x-cc-peer-signature";

    /// <summary>Header carrying the <see cref="PeerStamp"/>.</summary>
    public const string StampHeader = "x-cc-peer-stamp";

    /// <summary>The signature (hex) of <paramref name="payload"/> sent with <paramref name="stamp"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> peerKey, PeerStamp stamp, ReadOnlySpan<byte> payload)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, peerKey);
        hmac.AppendData(Encoding.ASCII.GetBytes("configcluster peer call v1\n" + stamp + "\n"));
        hmac.AppendData(payload);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    /// <summary>Whether <paramref name="signature"/> is the signature of the stamp and payload (constant time).</summary>
    public static bool Verify(ReadOnlySpan<byte> peerKey, PeerStamp stamp, ReadOnlySpan<byte> payload, string? signature)
        => signature is { Length: 64 } && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(peerKey, stamp, payload)), Encoding.ASCII.GetBytes(signature));
}
