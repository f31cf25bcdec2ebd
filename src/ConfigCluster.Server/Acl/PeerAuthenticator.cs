using ConfigCluster.Consensus;
using ConfigCluster.Contracts.Peer;
using Grpc.Core;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Signs and checks node-to-node calls (forwarded writes, membership changes, leadership holds).
/// The key is derived from the cluster secret (<see cref="ClusterSecret"/>), which no snapshot,
/// backup or client holds. A signature covers the payload and a <see cref="PeerStamp"/> (a unique
/// id, the Raft term and the commit index the sender saw); <see cref="PeerReplayGuard"/> refuses
/// replays and late arrivals by log position, never by comparing clocks across nodes.
/// </summary>
public sealed class PeerAuthenticator(ClusterSecret secret, RaftNode node)
{
    /// <summary>
    /// Log entries a signed call stays valid for: it is refused once this node's commit index is
    /// more than this many entries past the one the sender saw. Large enough for a forward under
    /// full load (a few seconds of writes), small enough to bound the ids remembered.
    /// </summary>
    public const long ReplayWindowEntries = 100_000;

    /// <summary>Header carrying the signature (kept for callers that named it here).</summary>
    public const string Header = PeerSignature.SignatureHeader;

    private readonly PeerReplayGuard guard = new(ReplayWindowEntries, maxRemembered: 1_000_000);

    /// <summary>The call headers that sign <paramref name="payload"/> for the current term and commit index.</summary>
    public Metadata? SignedHeaders(ReadOnlySpan<byte> payload)
    {
        var stamp = PeerStamp.New(node.Term, node.CommitIndex);
        return new Metadata
        {
            { PeerSignature.StampHeader, stamp.ToString() },
            { PeerSignature.SignatureHeader, PeerSignature.Sign(secret.PeerKey, stamp, payload) },
        };
    }

    /// <summary>Checks a received call's signature, term, position and id.</summary>
    public PeerCheck Check(ReadOnlySpan<byte> payload, Metadata headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!PeerStamp.TryParse(headers.GetValue(PeerSignature.StampHeader), out var stamp)
            || !PeerSignature.Verify(secret.PeerKey, stamp, payload, headers.GetValue(PeerSignature.SignatureHeader)))
            return PeerCheck.BadSignature;
        return guard.Admit(stamp, node.Term, node.CommitIndex);
    }

    /// <summary>
    /// Whether the headers carry a valid signature of <paramref name="payload"/>, without admitting
    /// the stamp (so the handler's own <see cref="Check"/> still sees it first): the request limiter
    /// uses it to let peers' calls through.
    /// </summary>
    public bool IsSigned(ReadOnlySpan<byte> payload, string? stampHeader, string? signatureHeader)
        => PeerStamp.TryParse(stampHeader, out var stamp) && PeerSignature.Verify(secret.PeerKey, stamp, payload, signatureHeader);

    /// <summary>Throws the gRPC status for a refused call; returns when the call is valid.</summary>
    /// <exception cref="RpcException">The call is refused.</exception>
    public void Authenticate(ReadOnlySpan<byte> payload, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (Check(payload, context.RequestHeaders))
        {
            case PeerCheck.Valid:
                return;
            case PeerCheck.BadSignature:
                throw new RpcException(new Status(StatusCode.Unauthenticated, "peer calls must be signed by a member of this cluster"));
            case PeerCheck.OtherTerm:
                // Nothing was done: the sender re-signs in the current term and tries again.
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "the call was signed in another Raft term"), new Metadata { { Application.WriteCoordinator.NotLeaderTrailer, "1" } });
            case PeerCheck.TooLate:
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the call arrived more than {ReplayWindowEntries} log entries after it was signed; not applied"));
            case PeerCheck.Replayed:
                throw new RpcException(new Status(StatusCode.AlreadyExists, "this signed call was already received; a replay is refused"));
            default:
                throw new RpcException(new Status(StatusCode.Unavailable, "too many peer calls in flight; not applied"));
        }
    }
}
