namespace ConfigCluster.Consensus;

public sealed partial class RaftNode
{
    private int caughtUpWithLeader;

    /// <summary>
    /// True once this node, since it started, has applied everything the leader had committed when
    /// it asked (a read barrier through the leader succeeded): from then on it can answer
    /// linearizable reads without first catching up. Never true before: a restarted follower knows
    /// a leader from the first message it gets, while its own commit index can still be the one it
    /// had before it went down (writes made meanwhile, or a snapshot still to install).
    /// </summary>
    public bool CaughtUpWithLeader => Volatile.Read(ref caughtUpWithLeader) != 0;

    /// <summary>
    /// Waits until a leader is known and a read barrier through it succeeds, trying again (each try
    /// bounded by <paramref name="attemptTimeout"/>) until it does or <paramref name="token"/> fires;
    /// then sets <see cref="CaughtUpWithLeader"/> and returns the index applied at that moment.
    /// </summary>
    public async Task<long> CatchUpWithLeaderAsync(TimeSpan attemptTimeout, CancellationToken token)
    {
        while (!CaughtUpWithLeader)
        {
            await WaitForLeaderAsync(token).ConfigureAwait(false);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token, LeaderEpoch);
            attempt.CancelAfter(attemptTimeout);
            if (await TryReadBarrierAsync(attempt.Token).ConfigureAwait(false) == ReadBarrierOutcome.Current)
            {
                Volatile.Write(ref caughtUpWithLeader, 1);
                break;
            }

            token.ThrowIfCancellationRequested();
            // The leader moved or could not answer in time: ask again (a new leader is awaited above).
            await Task.Delay(TimeSpan.FromMilliseconds(50), token).ConfigureAwait(false);
        }

        return AppliedIndex;
    }
}
