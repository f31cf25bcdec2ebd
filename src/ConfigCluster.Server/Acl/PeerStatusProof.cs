using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Grpc.Core;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Lets a member read another member's full status (its log indexes, for leadership transfer)
/// without a client token: the call carries a short deadline signed with the peer key. A
/// captured proof works only until its deadline (a few seconds) and reveals no more than a
/// client token would (never the digest).
/// </summary>
public static class PeerStatusProof
{
    /// <summary>The header holding the deadline (Unix ms) the signature covers.</summary>
    public const string UntilHeader = "x-cc-peer-status-until";

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("configcluster status\0");

    /// <summary>The headers for one status call; null before the cluster is bootstrapped.</summary>
    public static Metadata? Create(PeerAuthenticator peers, TimeProvider clock)
    {
        var until = (clock.GetUtcNow() + Window).ToUnixTimeMilliseconds();
        return peers.Sign(Payload(until)) is { } signature
            ? new Metadata { { UntilHeader, until.ToString(CultureInfo.InvariantCulture) }, { PeerAuthenticator.Header, signature } }
            : null;
    }

    /// <summary>Whether <paramref name="headers"/> carry a valid, unexpired proof (members' clocks may differ by less than the window).</summary>
    public static bool Verify(PeerAuthenticator peers, Metadata headers, TimeProvider clock)
    {
        if (headers.GetValue(UntilHeader) is not { } text || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var until))
            return false;
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (until < now || until > now + (2 * (long)Window.TotalMilliseconds))
            return false;
        return peers.Verify(Payload(until), headers.GetValue(PeerAuthenticator.Header));
    }

    private static byte[] Payload(long until)
    {
        var payload = new byte[Label.Length + sizeof(long)];
        Label.CopyTo(payload, 0);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(Label.Length), until);
        return payload;
    }
}
