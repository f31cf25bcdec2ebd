using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Application;

/// <summary>Waits until this node has applied everything committed before a read (or a rebuilt write) began.</summary>
public interface IReadBarrier
{
    /// <summary>Null once the node is current (at once for <see cref="ReadConsistency.Serializable"/>), else why it is not.</summary>
    Task<ConfigError?> WaitAsync(ReadConsistency consistency, CancellationToken token);
}

/// <summary>
/// The Raft read barrier, bounded so a client on a cut-off node hears "unavailable" soon.
/// Concurrent reads share barrier rounds (<see cref="ReadBarrierRounds"/>): each read waits for a
/// round that began after it arrived, so every read stays linearizable while a burst of reads
/// costs one round trip to the leader instead of one each.
/// </summary>
public sealed class RaftReadBarrier : IReadBarrier
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

    private readonly RaftNode node;
    private readonly NodeSettings settings;
    private readonly ReadBarrierRounds rounds;

    /// <summary>The barrier of <paramref name="node"/>, bounded by <see cref="NodeSettings.ReadTimeout"/>.</summary>
    public RaftReadBarrier(RaftNode node, NodeSettings settings)
    {
        this.node = node;
        this.settings = settings;
        rounds = new ReadBarrierRounds(RoundAsync);
    }

    /// <inheritdoc/>
    public async Task<ConfigError?> WaitAsync(ReadConsistency consistency, CancellationToken token)
    {
        if (consistency == ReadConsistency.Serializable || SkipForTests)
            return null;
        // Without a leader in sight, answer soon so the client tries another node. The budget
        // covers the wait for the round in flight as well as the read's own round.
        var budget = node.HasLeader ? settings.ReadTimeout : WriteCoordinator.NoLeaderGrace;
        ReadBarrierOutcome outcome;
        try
        {
            outcome = await rounds.JoinAsync().WaitAsync(budget, token);
        }
        catch (TimeoutException)
        {
            outcome = ReadBarrierOutcome.Unavailable;
        }

        if (outcome == ReadBarrierOutcome.Current)
            return null;

        // The caller giving up is not an answer to send: let it end the request.
        token.ThrowIfCancellationRequested();
        return new ConfigError(ConfigErrorCode.Unavailable, "no leader could confirm this read is current; retry, or ask for consistency=serializable");
    }

    // One round for every read waiting on it. A leader change (or loss) ends the round at once, and
    // the reads that arrived meanwhile go on to the next round (or to their budget's end).
    private async ValueTask<ReadBarrierOutcome> RoundAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(node.LeaderEpoch, node.LeaderContact);
        deadline.CancelAfter(node.HasLeader ? settings.ReadTimeout : WriteCoordinator.NoLeaderGrace);
        return await node.TryReadBarrierAsync(deadline.Token);
    }
}
