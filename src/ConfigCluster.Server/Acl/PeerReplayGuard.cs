using System.Collections.Concurrent;
using ConfigCluster.Contracts.Peer;

namespace ConfigCluster.Server.Acl;

/// <summary>Why a signed peer call was accepted or refused.</summary>
public enum PeerCheck
{
    /// <summary>Signed by this cluster, current, first seen.</summary>
    Valid,

    /// <summary>No signature, a malformed stamp, or signed with another key.</summary>
    BadSignature,

    /// <summary>Signed in another Raft term: the sender must re-sign (nothing was done).</summary>
    OtherTerm,

    /// <summary>Signed when the commit index was more than the window behind this node's: too late.</summary>
    TooLate,

    /// <summary>The same stamp id was already accepted: a replay.</summary>
    Replayed,

    /// <summary>Too many calls inside the window to remember another: refused, safe to retry.</summary>
    Busy,
}

/// <summary>
/// Refuses replayed and late peer calls without comparing clocks across nodes: a call carries the
/// Raft term and the commit index its sender saw. It is accepted only in the same term, and only
/// while this node's commit index is at most <see cref="Window"/> entries past the one it carries
/// (the call's deadline, counted in log entries). Ids accepted inside that window are remembered,
/// so the same call is never accepted twice; older ids are forgotten because the window check
/// alone refuses them.
/// </summary>
public sealed class PeerReplayGuard(long window, int maxRemembered)
{
    private readonly ConcurrentDictionary<string, long> seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Id, long SeenIndex)> order = new();

    /// <summary>Entries a signed call stays valid for.</summary>
    public long Window => window;

    /// <summary>Ids remembered now.</summary>
    public int Remembered => seen.Count;

    /// <summary>Checks (and on success remembers) a stamp whose signature was already verified.</summary>
    public PeerCheck Admit(PeerStamp stamp, long currentTerm, long commitIndex)
    {
        if (stamp.Term != currentTerm)
            return PeerCheck.OtherTerm;
        if (commitIndex - stamp.SeenIndex > window)
            return PeerCheck.TooLate;
        Forget(commitIndex);
        if (seen.Count >= maxRemembered)
            return PeerCheck.Busy;
        if (!seen.TryAdd(stamp.Id, stamp.SeenIndex))
            return PeerCheck.Replayed;
        order.Enqueue((stamp.Id, stamp.SeenIndex));
        return PeerCheck.Valid;
    }

    // Drops ids whose calls the window check refuses by now. Ids arrive roughly in index order;
    // one stuck behind a newer one is only kept longer, which is safe.
    private void Forget(long commitIndex)
    {
        while (order.TryPeek(out var oldest) && commitIndex - oldest.SeenIndex > window && order.TryDequeue(out oldest))
            seen.TryRemove(oldest.Id, out _);
    }
}
