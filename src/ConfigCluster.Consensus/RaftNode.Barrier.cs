using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;

namespace ConfigCluster.Consensus;

/// <summary>How a read barrier ended.</summary>
public enum ReadBarrierOutcome
{
    /// <summary>This node has applied everything committed before the barrier began.</summary>
    Current,

    /// <summary>
    /// No leader could confirm the commit index (no quorum, leadership moving, the member
    /// unreachable, or the caller's deadline passed): nothing is known to be current.
    /// </summary>
    Unavailable,
}

public sealed partial class RaftNode
{
    /// <summary>
    /// <see cref="ReadBarrierAsync"/> with DotNext's failures turned into an outcome, so callers
    /// above the consensus layer need not know DotNext's exception types.
    /// </summary>
    /// <param name="token">Ends the wait; when cancelled the outcome is <see cref="ReadBarrierOutcome.Unavailable"/>.</param>
    public async ValueTask<ReadBarrierOutcome> TryReadBarrierAsync(CancellationToken token)
    {
        try
        {
            await ReadBarrierAsync(token).ConfigureAwait(false);
            return ReadBarrierOutcome.Current;
        }
        catch (Exception e) when (e is QuorumUnreachableException or OperationCanceledException or TimeoutException
                                      or MemberUnavailableException or LeaderOperationException or IOException)
        {
            return ReadBarrierOutcome.Unavailable;
        }
    }
}
