using System.Net;

namespace ConfigCluster.Consensus;

/// <summary>A follower's durable append, to be reported to the leader (<see cref="RaftNode.ReportDurableAsync"/>).</summary>
/// <param name="Member">The follower's Raft endpoint as the member list names it.</param>
/// <param name="Index">The last index of the AppendEntries call, appended and (with fsync durability) synced.</param>
/// <param name="Term">The call's term.</param>
public readonly record struct DurableAppend(string Member, long Index, long Term);

public sealed partial class RaftNode
{
    private readonly MajorityCommitRule commitRule = new();
    private IReadOnlyList<string> followerNames = [];
    private string? selfName;

    /// <summary>
    /// Raised on a follower of a cluster of 4 or more voting members after it appended (and synced)
    /// the entries of an AppendEntries call: the host reports it to the leader, whose commit index
    /// counts these reports (<see cref="MajorityCommitRule"/>). Handlers must not block.
    /// </summary>
    public event Action<DurableAppend>? DurablyAppended;

    /// <summary>Whether this cluster's leader counts durable-append reports (4 or more voting members).</summary>
    public bool CountsDurableReports => Volatile.Read(ref followerNames).Count + 1 >= MajorityCommitRule.SmallestClusterCounted;

    /// <summary>
    /// On the leader: counts a follower's report and commits what a majority now holds. Returns
    /// false when this node does not lead in <paramref name="report"/>'s term (nothing counted).
    /// </summary>
    public async Task<bool> ReportDurableAsync(DurableAppend report, CancellationToken token)
    {
        if (!commitRule.Report(report.Member, report.Index, report.Term))
            return false;
        try
        {
            await wal.CommitReportedAsync(token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The log moved on meanwhile (leadership lost): the report was counted, nothing committed.
        }

        return true;
    }

    private void WireCommitRule()
    {
        wal.CommitRule = commitRule;
        wal.Followers = () => Volatile.Read(ref followerNames);
        wal.Appended += OnAppended;
    }

    // The voting members other than this node, by the names the member list gives them (every
    // member holds the same list, so a follower's name for itself is the leader's name for it).
    private void RefreshFollowers(IEnumerable<EndPoint>? members = null)
    {
        selfName ??= cluster.Members.FirstOrDefault(static m => !m.IsRemote) is { } local ? FormatEndPoint(local.EndPoint) : null;
        var names = (members ?? cluster.Members.Select(static m => m.EndPoint)).Select(FormatEndPoint).Distinct(StringComparer.Ordinal);
        Volatile.Write(ref followerNames, [.. names.Where(n => n != selfName)]);
    }

    private void OnAppended(long index, long term)
    {
        if (!CountsDurableReports || IsLeader)
            return;
        if (Volatile.Read(ref selfName) is null)
            RefreshFollowers(); // a node that joined finds itself in the member list once it is in
        if (Volatile.Read(ref selfName) is not { } self)
            return;
        DurablyAppended?.Invoke(new DurableAppend(self, index, term));
    }
}
