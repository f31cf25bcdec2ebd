using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Application;

/// <summary>Waits until this node has applied everything committed before a read (or a rebuilt write) began.</summary>
public interface IReadBarrier
{
    /// <summary>Null once the node is current (at once for <see cref="ReadConsistency.Serializable"/>), else why it is not.</summary>
    Task<ConfigError?> WaitAsync(ReadConsistency consistency, CancellationToken token);
}

/// <summary>The Raft read barrier, bounded so a client on a cut-off node hears "unavailable" soon.</summary>
public sealed class RaftReadBarrier(RaftNode node, NodeSettings settings) : IReadBarrier
{
    /// <inheritdoc/>
    public async Task<ConfigError?> WaitAsync(ReadConsistency consistency, CancellationToken token)
    {
        if (consistency == ReadConsistency.Serializable)
            return null;
        // A leader change (or loss) ends the wait at once: the client tries another node.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token, node.LeaderEpoch, node.LeaderContact);
        // Without a leader in sight, answer soon so the client tries another node.
        deadline.CancelAfter(node.HasLeader ? settings.ReadTimeout : WriteCoordinator.NoLeaderGrace);
        if (await node.TryReadBarrierAsync(deadline.Token) == ReadBarrierOutcome.Current)
            return null;

        // The caller giving up is not an answer to send: let it end the request.
        token.ThrowIfCancellationRequested();
        return new ConfigError(ConfigErrorCode.Unavailable, "no leader could confirm this read is current; retry, or ask for consistency=serializable");
    }
}
