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
    /// <summary>
    /// TEST ONLY, never set in production: <c>CONFIGCLUSTER_TEST_SKIP_READ_BARRIER=1</c> makes every
    /// read serializable (no barrier), so a deposed leader serves stale reads. It exists so the
    /// chaos suite can prove its linearizability checker catches a stale read
    /// (<c>ChaosTests.LeaderIsolation_WithoutReadBarrier_CheckerFindsStaleRead</c>). Read once at
    /// start; the node logs a warning when it is on.
    /// </summary>
    public const string SkipForTestsVariable = "CONFIGCLUSTER_TEST_SKIP_READ_BARRIER";

    /// <summary>Whether <see cref="SkipForTestsVariable"/> was set to 1 when the process started.</summary>
    public static readonly bool SkipForTests = Environment.GetEnvironmentVariable(SkipForTestsVariable) == "1";

    /// <inheritdoc/>
    public async Task<ConfigError?> WaitAsync(ReadConsistency consistency, CancellationToken token)
    {
        if (consistency == ReadConsistency.Serializable || SkipForTests)
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
