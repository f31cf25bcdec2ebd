namespace ConfigCluster.Consensus;

/// <summary>
/// The leader's own count of Raft's commit rule for clusters of 4 or more voting members: an index
/// is committed once a majority of the voting members hold it on disk, counted from what each
/// follower reported after a durable append of the leader's term (<see cref="Report"/>) and the
/// leader's own synced index.
/// </summary>
/// <remarks>
/// DotNext 6.12's leader takes the median of the first majority of answers to a replication round
/// (<c>LeaderState.GetCommitIndex</c>: element (q-1)/2 of the q sorted indexes). That index is held
/// by a majority only when the majority is 2. With 5 members, answers [90, 100, 100] commit 100,
/// which 2 of 5 hold. The WAL clamps DotNext's index to <see cref="MajorityIndex"/>.
/// Up to 3 members DotNext's index is a majority's and this rule stands aside.
/// </remarks>
internal sealed class MajorityCommitRule
{
    /// <summary>From this many voting members on, DotNext's commit index is not a majority's.</summary>
    public const int SmallestClusterCounted = 4;

    private readonly Lock gate = new();
    private readonly Dictionary<string, long> reported = new(StringComparer.Ordinal);
    private long term = -1;

    /// <summary>The term this node leads in (-1: it follows); reports of other terms are dropped.</summary>
    public long Term
    {
        get
        {
            lock (gate)
                return term;
        }
    }

    /// <summary>This node leads in <paramref name="leaderTerm"/> (-1: it follows): reports of earlier terms no longer count.</summary>
    public void Lead(long leaderTerm)
    {
        lock (gate)
        {
            if (term == leaderTerm)
                return;
            term = leaderTerm;
            reported.Clear();
        }
    }

    /// <summary>
    /// A follower's report: its log matches this leader's up to <paramref name="index"/> and that is
    /// on its disk. Returns false (and counts nothing) when this node does not lead in <paramref name="reportTerm"/>.
    /// </summary>
    public bool Report(string member, long index, long reportTerm)
    {
        lock (gate)
        {
            if (reportTerm != term || term < 0)
                return false;
            reported[member] = Math.Max(index, reported.GetValueOrDefault(member));
            return true;
        }
    }

    /// <summary>
    /// The highest index a majority of <paramref name="followers"/> plus this leader hold on disk:
    /// the (majority)-th largest of the followers' reports (0 for a follower that has not reported in
    /// this term) and <paramref name="leaderDurable"/>. <see cref="long.MaxValue"/> for clusters of
    /// fewer than <see cref="SmallestClusterCounted"/> voting members, where DotNext's index stands.
    /// </summary>
    public long MajorityIndex(IReadOnlyList<string> followers, long leaderDurable)
    {
        var voters = followers.Count + 1;
        if (voters < SmallestClusterCounted)
            return long.MaxValue;
        Span<long> held = stackalloc long[voters];
        lock (gate)
        {
            for (var i = 0; i < followers.Count; i++)
                held[i] = reported.GetValueOrDefault(followers[i]);
        }

        held[voters - 1] = leaderDurable;
        held.Sort();
        // Ascending: the majority-th largest is at voters - majority = (voters - 1) / 2.
        return held[(voters - 1) / 2];
    }
}
