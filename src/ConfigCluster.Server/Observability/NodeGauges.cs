using System.Diagnostics.Metrics;
using ConfigCluster.Consensus;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Observability;

/// <summary>Gauges read from the node when scraped: Raft role, term, indexes, store size, watchers.</summary>
public sealed class NodeGauges
{
    public NodeGauges(RaftNode node, FasterVersionedStore store, ChangeFeed feed)
    {
        var meter = ServerMeters.Meter;
        meter.CreateObservableGauge("configcluster.raft.is_leader", () => node.IsLeader ? 1 : 0, description: "1 on the leader");
        meter.CreateObservableGauge("configcluster.raft.has_leader", () => node.HasLeader ? 1 : 0, description: "1 while a leader is known");
        meter.CreateObservableGauge("configcluster.raft.term", () => node.Term, description: "Current Raft term");
        meter.CreateObservableGauge("configcluster.raft.commit_index", () => node.CommitIndex, description: "Raft commit index");
        meter.CreateObservableGauge("configcluster.raft.applied_index", () => node.AppliedIndex, description: "Raft index applied to the store");
        meter.CreateObservableGauge("configcluster.raft.snapshot_index", () => node.StateMachine.NewestCheckpointIndex, description: "Index of the newest store checkpoint");
        meter.CreateObservableGauge("configcluster.raft.snapshots_installed", () => node.StateMachine.SnapshotsInstalled, description: "Snapshots installed from a leader since start");
        meter.CreateObservableGauge("configcluster.store.revision", () => store.Revision, description: "Global store revision");
        meter.CreateObservableGauge("configcluster.store.keys", () => store.KeyCount, description: "Keys held (live or deleted)");
        meter.CreateObservableGauge("configcluster.store.log_size", () => store.LogBytes, unit: "By", description: "Size of the store's FASTER log");
        meter.CreateObservableGauge("configcluster.raft.apply_lag", () => Math.Max(0, node.CommitIndex - node.AppliedIndex), description: "Committed entries not yet applied here");
        meter.CreateObservableGauge("configcluster.watch.active", () => feed.SubscriberCount, description: "Active watchers and waiting long-polls");
    }
}
