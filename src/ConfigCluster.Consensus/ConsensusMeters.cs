using System.Diagnostics.Metrics;

namespace ConfigCluster.Consensus;

/// <summary>Metrics of the consensus layer (meter <c>ConfigCluster.Consensus</c>).</summary>
public static class ConsensusMeters
{
    public const string MeterName = "ConfigCluster.Consensus";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Time to take a store checkpoint (a Raft snapshot), in milliseconds.</summary>
    public static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram<double>(
        "configcluster.store.checkpoint.duration", "ms", "Time to take a store checkpoint (Raft snapshot)");

    /// <summary>
    /// Snapshot sends that could not stream their checkpoint because the store compacted its log
    /// since (or was compacting): DotNext's replication fails for that member and its next round
    /// sends the newer checkpoint that compaction came with.
    /// </summary>
    public static readonly Counter<long> SnapshotSendsSuperseded = Meter.CreateCounter<long>(
        "configcluster.raft.snapshot_sends_superseded", "{send}", "Snapshot sends whose checkpoint was compacted since; the next round sends a newer one");

    /// <summary>Time to receive and install a snapshot from the leader, in milliseconds.</summary>
    public static readonly Histogram<double> SnapshotInstallDuration = Meter.CreateHistogram<double>(
        "configcluster.store.snapshot_install.duration", "ms", "Time to receive and install a snapshot from the leader");

    /// <summary>Time for one WAL sync (msync of the appended pages plus the O_SYNC checkpoint record), in milliseconds.</summary>
    public static readonly Histogram<double> SyncDuration = Meter.CreateHistogram<double>(
        "configcluster.wal.sync.duration", "ms", "Time to sync appended WAL entries before acknowledging them");

    /// <summary>Commands per proposed log entry (the leader packs concurrent proposals into one entry).</summary>
    public static readonly Histogram<int> CommandsPerEntry = Meter.CreateHistogram<int>(
        "configcluster.proposal.commands_per_entry", "{command}", "Commands packed into one log entry");

    private static int haltedApplies;

    /// <summary>Marks this process's apply halted for good (<see cref="ApplyHalted"/> reads 1 from then on).</summary>
    public static void MarkApplyHalted() => Interlocked.Increment(ref haltedApplies);

    /// <summary>
    /// 1 while this node's apply is halted on a command or snapshot newer than its build understands
    /// (an alarm: upgrade the node). A gauge, not a counter: a halt during the log's replay at start
    /// comes before the metrics exporter listens, and must still show.
    /// </summary>
    public static readonly ObservableGauge<int> ApplyHalted = Meter.CreateObservableGauge(
        "configcluster.apply.halted", static () => Math.Min(1, Volatile.Read(ref haltedApplies)), "{node}",
        "1 while apply is halted on a command or snapshot newer than this build understands: upgrade the node");

    /// <summary>
    /// AppendEntries calls whose entries this follower already held, with entries after them it
    /// kept (a stale or resent call; DotNext alone would have cut the log back to the call's end).
    /// </summary>
    public static readonly Counter<long> StaleAppendsKept = Meter.CreateCounter<long>(
        "configcluster.raft.append.stale_kept", "{call}", "AppendEntries calls whose entries were already held; the entries after them were kept");

    /// <summary>AppendEntries calls that replaced a conflicting tail of this log (an entry of another term at the same index).</summary>
    public static readonly Counter<long> AppendConflicts = Meter.CreateCounter<long>(
        "configcluster.raft.append.conflicts", "{call}", "AppendEntries calls that replaced a conflicting tail of the log");
}
