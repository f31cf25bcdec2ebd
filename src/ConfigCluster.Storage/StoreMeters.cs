using System.Diagnostics.Metrics;

namespace ConfigCluster.Storage;

/// <summary>Metrics of the store (meter <c>ConfigCluster.Storage</c>).</summary>
public static class StoreMeters
{
    public const string MeterName = "ConfigCluster.Storage";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Time one log compaction step took on the store's writer thread, in milliseconds: apply
    /// waits that long (a step is one slice of a pass, run inside a checkpoint).
    /// </summary>
    public static readonly Histogram<double> CompactionDuration = Meter.CreateHistogram<double>(
        "configcluster.store.compaction.duration", "ms", "Time one log compaction step (a slice, inside a checkpoint) held the store's writer");

    /// <summary>Log bytes compaction gave back (the compacted range less what it copied to the tail).</summary>
    public static readonly Counter<long> CompactionReclaimed = Meter.CreateCounter<long>(
        "configcluster.store.compaction.reclaimed", "By", "Log bytes compaction gave back");
}
