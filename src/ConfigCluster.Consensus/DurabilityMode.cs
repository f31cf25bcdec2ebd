namespace ConfigCluster.Consensus;

/// <summary>When a write counts as acknowledged (<c>--durability</c>).</summary>
public enum DurabilityMode
{
    /// <summary>Once the entry is synced to disk on a majority of members (this node included). The default.</summary>
    Fsync,

    /// <summary>
    /// Once a majority holds the entry (in memory or on disk): survives any minority's crash,
    /// not a power loss of a majority.
    /// </summary>
    Replicated,
}
