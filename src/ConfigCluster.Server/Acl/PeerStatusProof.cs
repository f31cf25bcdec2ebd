using System.Text;
using Grpc.Core;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Lets a member read another member's full status (its log indexes, for leadership transfer)
/// without a client token: the call is signed like every peer call (<see cref="PeerAuthenticator"/>:
/// the cluster's peer key over a fixed label and a stamp of id, term and commit index), so a
/// captured proof cannot be replayed and reveals no more than a client token would (never the digest).
/// </summary>
public static class PeerStatusProof
{
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("configcluster status\0");

    /// <summary>The headers for one status call.</summary>
    public static Metadata? Create(PeerAuthenticator peers) => peers.SignedHeaders(Label);

    /// <summary>Whether <paramref name="headers"/> carry a valid, fresh, unreplayed proof.</summary>
    public static bool Verify(PeerAuthenticator peers, Metadata headers) => peers.Check(Label, headers) == PeerCheck.Valid;

    /// <summary>Whether an HTTP/2 request carries a validly signed proof (not admitted: the handler still checks it for replays).</summary>
    public static bool IsSigned(PeerAuthenticator peers, IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(headers);
        return peers.IsSigned(Label, headers[Contracts.Peer.PeerSignature.StampHeader], headers[Contracts.Peer.PeerSignature.SignatureHeader]);
    }
}
