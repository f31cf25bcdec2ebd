using System.Net;

namespace ConfigCluster.Server;

/// <summary>
/// The validated settings of one node (see shared/CONTRACT.md): read from the bound
/// <see cref="Hosting.NodeOptions"/> by <see cref="Hosting.NodeOptionsValidator"/>; the
/// certificates are loaded and the data directory created at start-up (<see cref="Hosting.NodeStartup"/>).
/// </summary>
public sealed record NodeSettings
{
    /// <summary><c>--node-id</c>: the node's unique name.</summary>
    public required string NodeId { get; init; }

    /// <summary><c>--http</c>: client listener for HTTP/1.1 JSON.</summary>
    public required Uri HttpUrl { get; init; }

    /// <summary><c>--grpc</c>: client listener for gRPC (HTTP/2); may equal <see cref="HttpUrl"/>.</summary>
    public required Uri GrpcUrl { get; init; }

    /// <summary><c>--raft</c>: this node's Raft peer endpoint (<see cref="IPEndPoint"/> or <see cref="DnsEndPoint"/>).</summary>
    public required EndPoint RaftEndPoint { get; init; }

    /// <summary><c>--members</c>: Raft endpoints of the initial members, this node included.</summary>
    public required IReadOnlyList<EndPoint> Members { get; init; }

    /// <summary><c>--data-dir</c>: where the WAL, the store and snapshots live.</summary>
    public required string DataDirectory { get; init; }

    /// <summary><c>--seed-file</c>: JSON or YAML imported at start; null for none.</summary>
    public string? SeedFile { get; init; }

    /// <summary><c>--master-key-file</c>: file holding the base64 master key; null for none.</summary>
    public string? MasterKeyFile { get; init; }

    /// <summary><c>--peer-tls-cert</c>, <c>--peer-tls-key</c>, <c>--peer-tls-ca</c>: PEM files for mutual TLS between peers; null = plain.</summary>
    public Consensus.PeerTls? PeerTls { get; init; }

    /// <summary>
    /// <c>--tls-cert</c> and <c>--tls-key</c> (PEM): the certificate of https client listeners, read
    /// again when the files change (each new connection gets the current one); null = none.
    /// </summary>
    public Consensus.ReloadingPemFiles<System.Security.Cryptography.X509Certificates.X509Certificate2>? ClientCertificate { get; init; }

    /// <summary><c>--dev</c>: one-node development mode.</summary>
    public bool Dev { get; init; }

    /// <summary><c>--snapshot-interval</c>: applied entries between store checkpoints. Default 10,000.</summary>
    public long SnapshotInterval { get; init; } = 10_000;

    /// <summary><c>--max-value-bytes</c>: largest value accepted (UTF-8 JSON bytes). Default 1 MiB.</summary>
    public int MaxValueBytes { get; init; } = 1 << 20;

    /// <summary><c>--write-timeout</c>: how long a write may wait for a leader and commit. Default 10 s.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>--read-timeout</c>: how long a linearizable read may wait on its barrier. Default 5 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>--log-format json</c>: one JSON object per log line, with the node id. Default text.</summary>
    public bool JsonLogs { get; init; }

    /// <summary><c>--compaction-interval</c>: how often the leader applies namespaces' history retention. Default 5 min.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>--token-reap-grace</c>: how long after its expiry or revocation (log clock) a token is removed. Default 1 h.</summary>
    public TimeSpan TokenReapGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary><c>--join</c>: start as a new member of a running cluster and wait to be added (<c>POST /cluster/members</c>).</summary>
    public bool Join { get; init; }

    /// <summary>
    /// <c>--force-new-cluster</c>: disaster recovery after losing a majority. The node forgets the
    /// member list and starts as the only member of a new cluster with its own data (store and
    /// log); fresh nodes then join it (<c>--join</c>, <c>ccctl member add</c>). It acts once per data
    /// directory: a later start with the flag still set logs a warning and keeps the membership.
    /// </summary>
    public bool ForceNewCluster { get; init; }

    /// <summary><c>--store-memory</c>: FASTER's in-memory log budget in bytes; colder records are read from disk. Default 64 MiB.</summary>
    public long StoreMemoryBytes { get; init; } = 64L << 20;

    /// <summary>
    /// <c>--compact-threshold</c>: the FASTER log span (bytes) from which a checkpoint starts a
    /// compaction pass (also twice the span after the last pass); 0 = never compact. Default 256 MiB.
    /// </summary>
    public long CompactThresholdBytes { get; init; } = Storage.StoreOptions.DefaultCompactionMinBytes;

    /// <summary><c>--durability fsync|replicated</c>: when a write is acknowledged. Default <see cref="Consensus.DurabilityMode.Fsync"/>.</summary>
    public Consensus.DurabilityMode Durability { get; init; } = Consensus.DurabilityMode.Fsync;

    /// <summary><c>--election-timeout</c>: lower bound of the randomized Raft election timeout (the upper bound is 1.5 times it; heartbeats every fifth of it). Default 500 ms.</summary>
    public TimeSpan ElectionTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>--metrics-open</c> (or <c>CONFIGCLUSTER_METRICS_OPEN=true</c>): <c>/metrics</c> needs no token. Default off: it needs <c>admin</c>.</summary>
    public bool MetricsOpen { get; init; }

    /// <summary><c>--grpc-reflection</c>: serve gRPC server reflection (admin only, like every method without its own rule). Default off.</summary>
    public bool GrpcReflection { get; init; }

    /// <summary>Scheduled backups (<c>--backup-*</c>); null when off (the default).</summary>
    public Operations.BackupSchedule? Backups { get; init; }
    /// <summary><c>--rate-limit-token</c>, <c>--rate-limit-source</c>, <c>--quota-token</c>, <c>--max-watches-per-token</c>, <c>--max-long-polls-per-token</c>. Default: all off.</summary>
    public Limits.RequestLimits Limits { get; init; } = new();

    /// <summary><c>--audit-sink</c> (with <c>--audit-sink-format</c>, <c>--audit-sink-buffer</c>): the audit stream besides the file; null = none.</summary>
    public Acl.AuditSinkTarget? AuditSink { get; init; }
}
