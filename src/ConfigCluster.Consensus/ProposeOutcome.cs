using ConfigCluster.Core.Commands;

namespace ConfigCluster.Consensus;

/// <summary>How a proposal ended.</summary>
public enum ProposeStatus
{
    /// <summary>Committed by a majority and applied; <see cref="ProposeOutcome.Result"/> holds the result.</summary>
    Applied,

    /// <summary>This node is not the leader; nothing was appended (safe to send elsewhere).</summary>
    NotLeader,

    /// <summary>
    /// Appended to the log, but leadership was lost (or the caller gave up) before it was known
    /// to be committed: it may or may not be applied.
    /// </summary>
    Ambiguous,
}

/// <summary>The outcome of <see cref="RaftNode.ProposeAsync"/>.</summary>
public readonly record struct ProposeOutcome(ProposeStatus Status, CommandResult? Result)
{
    public static ProposeOutcome NotLeader => new(ProposeStatus.NotLeader, null);

    public static ProposeOutcome Ambiguous => new(ProposeStatus.Ambiguous, null);
}

/// <summary>A snapshot of this node's Raft view.</summary>
public sealed record RaftStatus(
    string Role,
    long Term,
    long CommitIndex,
    long AppliedIndex,
    long Revision,
    long SnapshotIndex,
    long SnapshotsInstalled,
    IReadOnlyList<MemberStatus> Members,
    long LastLogIndex);

/// <summary>One member as this node sees it.</summary>
public sealed record MemberStatus(string? NodeId, string Raft, string? HttpUrl, string? GrpcUrl, bool Healthy, bool IsLeader, bool IsLocal)
{
    /// <summary>The member's announced build version (null: not announced or not reachable).</summary>
    public string? Version { get; init; }

    /// <summary>The newest command format the member announced (1 when it announced none; 0 when unknown).</summary>
    public uint CommandFormat { get; init; }
}
