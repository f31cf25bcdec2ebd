using System.Diagnostics.Metrics;
using ConfigCluster.Consensus;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Observability;

/// <summary>Gauges read from the node when scraped: Raft role, term, indexes, store size, watchers.</summary>
public sealed class NodeGauges
{
    public NodeGauges(RaftNode node, FasterVersionedStore store, ChangeFeed feed, NodeSettings settings, Acl.AuditLog audit, Acl.AuditStreamSink auditStream, Secrets.SecretKeyring keyring)
    {
        ArgumentNullException.ThrowIfNull(settings);
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
        // Log compaction and start-up from the checkpoint's image.
        meter.CreateObservableGauge("configcluster.store.log_begin", () => store.LogBeginAddress, unit: "By", description: "Begin address of the store's FASTER log: what compaction reclaimed below it");
        meter.CreateObservableGauge("configcluster.store.compactions", () => store.Compactions, description: "Log compaction steps (one slice per checkpoint) since start");
        meter.CreateObservableGauge("configcluster.store.compaction_passes", () => store.CompactionPasses, description: "Log compaction passes completed since start (each ran to the tail it started from)");
        meter.CreateObservableGauge("configcluster.store.recovery_scanned_records", () => store.RecoveryScannedRecords, description: "Log records the last store load scanned (after the checkpoint's start-up image when it had one)");
        meter.CreateObservableGauge("configcluster.store.recovery_from_image", () => store.RecoveryUsedImage ? 1 : 0, description: "1 when the store's state was loaded from its checkpoint's start-up image");
        meter.CreateObservableGauge("configcluster.raft.apply_lag", () => Math.Max(0, node.CommitIndex - node.AppliedIndex), description: "Committed entries not yet applied here");
        meter.CreateObservableGauge("configcluster.watch.active", () => feed.SubscriberCount, description: "Active watchers and waiting long-polls");
        meter.CreateObservableGauge("configcluster.secrets.sealed", () => keyring.SealedReason is null ? 0 : 1, description: "1 while this node is sealed for secrets (no usable master key)");
        meter.CreateObservableGauge("configcluster.audit.sink_up", () => AuditSinks(audit, auditStream), description: "1 while an audit sink (file, stream) can be written; requests are refused while one cannot");
        meter.CreateObservableGauge("configcluster.audit.stream_queued", () => auditStream.Queued, description: "Audit lines waiting to be written to the audit stream");
        var dataDirectory = settings.DataDirectory;
        meter.CreateObservableGauge("configcluster.disk.free", () => DiskSpace(dataDirectory, free: true), unit: "By", description: "Space available to this node on the data directory's file system");
        meter.CreateObservableGauge("configcluster.disk.capacity", () => DiskSpace(dataDirectory, free: false), unit: "By", description: "Size of the data directory's file system");
        meter.CreateObservableGauge("configcluster.tls.certificate_expiry", () => Certificates(settings), unit: "s", description: "When each configured certificate (client, peer) expires, in Unix seconds");
        // What the node's objects hold, without the GC's slack (allocation budget, free space kept
        // committed) that resident memory also counts: the figure to watch for leaks and per-watcher cost.
        meter.CreateObservableGauge("configcluster.memory.live_heap", static () => LiveHeap(), unit: "By", description: "Managed heap in use after the last full blocking GC, by generation (gen0, gen1, gen2, loh, poh; none before one ran)");
        meter.CreateObservableGauge("configcluster.memory.live_heap_gc", static () => GC.GetGCMemoryInfo(GCKind.FullBlocking).Index, description: "Index of the GC that live_heap was measured after");
    }

    private static readonly string[] Generations = ["gen0", "gen1", "gen2", "loh", "poh"];

    // By generation, as the runtime's own dotnet.gc.last_collection.heap.size: the pinned object
    // heap is mostly Kestrel's pool of I/O blocks, which grows with bursts, not with what is held.
    private static Measurement<long>[] LiveHeap()
    {
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        if (info.Index == 0)
            return [];
        var generations = info.GenerationInfo;
        var live = new Measurement<long>[Math.Min(generations.Length, Generations.Length)];
        for (var i = 0; i < live.Length; i++)
            live[i] = new Measurement<long>(generations[i].SizeAfterBytes - generations[i].FragmentationAfterBytes, new KeyValuePair<string, object?>("generation", Generations[i]));
        return live;
    }

    private static IEnumerable<Measurement<int>> AuditSinks(Acl.AuditLog audit, Acl.AuditStreamSink stream)
    {
        yield return new Measurement<int>(audit.FileIsUp ? 1 : 0, new KeyValuePair<string, object?>("sink", "file"));
        if (stream.Target is not null)
            yield return new Measurement<int>(stream.IsUp ? 1 : 0, new KeyValuePair<string, object?>("sink", "stream"));
    }

    private static long DiskSpace(string directory, bool free)
    {
        try
        {
            var drive = new DriveInfo(directory);
            return free ? drive.AvailableFreeSpace : drive.TotalSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return 0;
        }
    }

    // Read at each scrape: a certificate replaced on disk is reported as soon as it is in use.
    private static Measurement<long>[] Certificates(NodeSettings settings)
    {
        var list = new List<Measurement<long>>();
        if (settings.ClientCertificate?.Current is { } client)
            list.Add(new Measurement<long>(new DateTimeOffset(client.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), new KeyValuePair<string, object?>("certificate", "client")));
        if (settings.PeerTls?.Certificate is { } peer)
            list.Add(new Measurement<long>(new DateTimeOffset(peer.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), new KeyValuePair<string, object?>("certificate", "peer")));
        return [.. list];
    }
}
