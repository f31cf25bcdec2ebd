using System.Net;

namespace ConfigCluster.Consensus;

/// <summary>Settings of this node's Raft member.</summary>
public sealed class ConsensusOptions
{
    /// <summary>The node's unique name (announced to peers).</summary>
    public required string NodeId { get; init; }

    /// <summary>This node's Raft peer endpoint. A DNS name binds all interfaces on its port and is announced as given.</summary>
    public required EndPoint RaftEndPoint { get; init; }

    /// <summary>
    /// Raft endpoints of the initial members, this node included. Used on a node's first start
    /// only: afterwards the member list saved in the data directory (kept current by membership
    /// changes) wins. Ignored with <see cref="Join"/>.
    /// </summary>
    public required IReadOnlyList<EndPoint> Members { get; init; }

    /// <summary>
    /// Start as a new member of a running cluster: no initial member list, no elections; the
    /// node waits until a member adds it (<c>POST /cluster/members</c>), which catches it up first.
    /// </summary>
    public bool Join { get; init; }

    /// <summary>
    /// Disaster recovery: forget the saved member list and start as the only member of a new
    /// cluster with this node's store and log (etcd's <c>--force-new-cluster</c>). Acts once per data
    /// directory (a marker file records it); later starts keep the membership they learned since.
    /// </summary>
    public bool ForceNewCluster { get; init; }

    /// <summary>Directory for the WAL (<c>wal/</c>), the member list and temporary files; the host puts the store in <c>store/</c> beside them.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Facts announced to peers (client URLs), read back through member metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Applied entries between store checkpoints (Raft snapshots). Default 10,000.</summary>
    public long SnapshotInterval { get; init; } = 10_000;

    /// <summary>Lower bound of the randomized election timeout in milliseconds. Default 500.</summary>
    public int LowerElectionTimeoutMs { get; init; } = 500;

    /// <summary>Upper bound of the randomized election timeout in milliseconds. Default 750.</summary>
    public int UpperElectionTimeoutMs { get; init; } = 750;

    /// <summary>
    /// The leader's heartbeat period as a fraction of <see cref="LowerElectionTimeoutMs"/>, in (0, 1).
    /// Default 0.2 (100 ms at the default timeout): several heartbeats fit in one election timeout,
    /// as in etcd (100 ms against 1 s), so a few late ones under load do not start an election.
    /// </summary>
    public double HeartbeatThreshold { get; init; } = 0.2;

    /// <summary>When a write is acknowledged: synced on a majority (default) or held by a majority.</summary>
    public DurabilityMode Durability { get; init; } = DurabilityMode.Fsync;

    /// <summary>Mutual TLS for peer traffic; null = plain TCP (development and loopback demos).</summary>
    public PeerTls? PeerTls { get; init; }

    /// <summary>Longest a proposal may wait for its commit on the leader. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest one Raft call to a peer (vote, append entries, install snapshot) may take. Default
    /// 2 s. A candidate waits for its vote calls, so with DotNext's 30 s a stopped (SIGSTOP) leader
    /// held the two others as candidates in one term for over a minute (20 s with 5 s, about 11 s
    /// with 2 s). Receiving a snapshot has to fit in one call; installing it does not (it runs on
    /// after the call, and the leader's next attempt collects the result: StoreStateMachine.SnapshotInstall.cs).
    /// </summary>
    public TimeSpan PeerRequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// TEST ONLY, zero in production: a pause added to every snapshot install once the snapshot
    /// has arrived, standing in for a large store on a slow disk, so that the install outlasts the
    /// peer call that brought it (<see cref="PeerRequestTimeout"/>). Set from
    /// <c>CONFIGCLUSTER_TEST_SNAPSHOT_INSTALL_DELAY_MS</c>.
    /// </summary>
    public TimeSpan SnapshotInstallDelayForTests { get; init; }

    /// <summary>
    /// TEST ONLY, zero in production: the answer to the first InstallSnapshot call this member
    /// accepts is held back this long after the snapshot is installed and committed, so the leader
    /// gives up on the call and never learns it succeeded (a lost answer: see
    /// <c>Operations/RefusedSnapshotRescue.cs</c> in the server). Set from
    /// <c>CONFIGCLUSTER_TEST_LATE_FIRST_SNAPSHOT_ANSWER_MS</c>.
    /// </summary>
    public TimeSpan FirstSnapshotAnswerDelayForTests { get; init; }

    /// <summary>
    /// The command format this member announces (default: <see cref="Core.Commands.CommandFormat.Supported"/>).
    /// Tests announce less to stand in for an older build in a mixed cluster.
    /// </summary>
    public uint AnnouncedFormat { get; init; } = Core.Commands.CommandFormat.Supported;

    /// <summary>
    /// TEST ONLY, <see cref="Core.Commands.CommandFormat.Supported"/> in production: the newest
    /// command format this member applies. Lower, it stands in for an older build that met a command
    /// it does not know (its apply halts, see <c>StoreStateMachine.FormatGate.cs</c>) while it still
    /// announces <see cref="AnnouncedFormat"/>, as a member whose announcement the leader had not yet
    /// re-read would. Set from <c>CONFIGCLUSTER_TEST_APPLY_FORMAT</c>; the member logs it loudly.
    /// </summary>
    public uint AppliedFormatForTests { get; init; } = Core.Commands.CommandFormat.Supported;
}

public static class MemberMetadataKeys
{
    public const string NodeId = "node-id";
    public const string HttpUrl = "http";
    public const string GrpcUrl = "grpc";

    /// <summary>The newest command format the member applies (<see cref="Core.Commands.CommandFormat.Supported"/>); absent on members older than formats: 1.</summary>
    public const string Format = "format";

    /// <summary>The member's build version (informational).</summary>
    public const string Version = "version";
}
