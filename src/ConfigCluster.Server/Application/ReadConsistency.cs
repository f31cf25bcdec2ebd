namespace ConfigCluster.Server.Application;

/// <summary>How fresh a read must be.</summary>
public enum ReadConsistency
{
    /// <summary>Waits on a Raft read barrier first: sees every write acknowledged before the read began.</summary>
    Linearizable,

    /// <summary>Local read with no barrier; may be stale.</summary>
    Serializable,
}

/// <summary>The result of an applied write.</summary>
public sealed record WriteResult(Core.Keys.KeyPath Path, long Version, long Revision);
