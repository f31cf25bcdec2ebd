using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

/// <summary>The outcome of a membership change on the leader.</summary>
public enum MembershipChange
{
    /// <summary>Committed: every member now uses the new member list.</summary>
    Done,

    /// <summary>Nothing to do: the member was already in (add) or already out (remove).</summary>
    Unchanged,

    /// <summary>This node is not the leader; nothing changed.</summary>
    NotLeader,

    /// <summary>Another membership change is in progress; nothing changed.</summary>
    Busy,

    /// <summary>The new member could not be caught up (unreachable, or not started with --join).</summary>
    CatchUpFailed,

    /// <summary>Without the member, too few reachable members would remain for a majority; nothing changed.</summary>
    WouldLoseQuorum,
}

public sealed partial class RaftNode
{
    // One membership change at a time (DotNext refuses a second one too, with an internal exception).
    private readonly SemaphoreSlim membershipGate = new(1, 1);

    /// <summary>Raft endpoints of the current members.</summary>
    public IReadOnlyList<EndPoint> MemberEndPoints => [.. cluster.Members.Select(static m => m.EndPoint)];

    /// <summary>
    /// On the leader: catches the node at <paramref name="raft"/> up with the log (or a snapshot)
    /// while it does not vote, then commits a member list that includes it.
    /// </summary>
    public async Task<MembershipChange> AddMemberAsync(EndPoint raft, CancellationToken token)
    {
        if (!IsLeader)
            return MembershipChange.NotLeader;
        if (cluster.Members.Any(m => SameEndPoint(m.EndPoint, raft)))
            return MembershipChange.Unchanged;
        return await ChangeAsync(() => cluster.AddMemberAsync(raft, token), MembershipChange.CatchUpFailed, token).ConfigureAwait(false);
    }

    /// <summary>On the leader: commits a member list without the node at <paramref name="raft"/>.</summary>
    public async Task<MembershipChange> RemoveMemberAsync(EndPoint raft, CancellationToken token)
    {
        if (!IsLeader)
            return MembershipChange.NotLeader;
        if (cluster.Members.FirstOrDefault(m => SameEndPoint(m.EndPoint, raft)) is not { } member)
            return MembershipChange.Unchanged;

        // The leader sees which members answer; the rest must still form a majority of the new list.
        var remaining = cluster.Members.Where(m => m != member).ToList();
        var reachable = remaining.Count(static m => !m.IsRemote || m.Status == DotNext.Net.Cluster.ClusterMemberStatus.Available);
        if (remaining.Count == 0 || reachable < remaining.Count / 2 + 1)
            return MembershipChange.WouldLoseQuorum;
        return await ChangeAsync(() => cluster.RemoveMemberAsync(member.EndPoint, token), MembershipChange.Unchanged, token).ConfigureAwait(false);
    }

    // One change at a time; when DotNext answers false the outcome is whenRefused.
    private async Task<MembershipChange> ChangeAsync(Func<Task<bool>> change, MembershipChange whenRefused, CancellationToken token)
    {
        if (!await membershipGate.WaitAsync(0, token).ConfigureAwait(false))
            return MembershipChange.Busy;
        try
        {
            return await change().ConfigureAwait(false) ? MembershipChange.Done : whenRefused;
        }
        catch (NotLeaderException)
        {
            return MembershipChange.NotLeader;
        }
        catch (InvalidOperationException)
        {
            // DotNext's (internal) concurrent-modification error.
            return MembershipChange.Busy;
        }
        finally
        {
            membershipGate.Release();
        }
    }

    /// <summary><c>HOST:PORT</c> of an endpoint, as members are named in status and in <c>members.json</c>.</summary>
    public static string FormatEndPoint(EndPoint endPoint) => MemberListFile.Format(endPoint);

    private static bool SameEndPoint(EndPoint a, EndPoint b) => MemberListFile.Format(a) == MemberListFile.Format(b);

    private async ValueTask OnMembershipChangedAsync(IClusterConfiguration<EndPoint> configuration, CancellationToken token)
    {
        await memberList.SaveAsync(configuration.Members, token).ConfigureAwait(false);
        metadataCache.Clear();
        RefreshFollowers(configuration.Members);
        Log.MembersChanged(logger, string.Join(',', configuration.Members.Select(MemberListFile.Format)));
        WarnAboutLargeClusters(configuration.Members.Count);
    }

    /// <summary>
    /// DotNext 6.12's leader takes the commit index as the median of the first majority of answers
    /// (<c>LeaderState.GetCommitIndex</c>: element (q-1)/2 of q sorted indexes), which is held by a
    /// majority only when the majority is 2 (clusters of 2 or 3 voting members). From 4 members on,
    /// the leader clamps it to what a majority reported (<see cref="MajorityCommitRule"/>); the
    /// followers report after each durable append, which the log says once at start and at every change.
    /// </summary>
    private void WarnAboutLargeClusters(int members)
    {
        if (members >= MajorityCommitRule.SmallestClusterCounted)
            Log.ReportedCommits(logger, members);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Members are now {Members}")]
        public static partial void MembersChanged(ILogger logger, string members);

        [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "This cluster has {Members} voting members: followers report each durable append to the leader, which commits only what a majority reported")]
        public static partial void ReportedCommits(ILogger logger, int members);
    }
}
