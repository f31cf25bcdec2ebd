using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// The node's options as configured (command line, <c>CONFIGCLUSTER_*</c> variables,
/// configcluster.json, appsettings.json), bound by <c>Microsoft.Extensions.Configuration</c>.
/// Values stay text here so <see cref="NodeOptionsValidator"/> can say which option is wrong
/// and why; <see cref="NodeSettings"/> is the typed view the node runs with. Defaults are
/// listed in <see cref="NodeOptionCatalog"/> (and by <c>--help</c>).
/// </summary>
public sealed class NodeOptions
{
    /// <summary><c>--node-id</c>.</summary>
    [ConfigurationKeyName("node-id")] public string? NodeId { get; set; }

    /// <summary><c>--http</c>.</summary>
    [ConfigurationKeyName("http")] public string? Http { get; set; }

    /// <summary><c>--grpc</c>.</summary>
    [ConfigurationKeyName("grpc")] public string? Grpc { get; set; }

    /// <summary><c>--raft</c>.</summary>
    [ConfigurationKeyName("raft")] public string? Raft { get; set; }

    /// <summary><c>--members</c>.</summary>
    [ConfigurationKeyName("members")] public string? Members { get; set; }

    /// <summary><c>--join</c>.</summary>
    [ConfigurationKeyName("join")] public string? Join { get; set; }

    /// <summary><c>--force-new-cluster</c>.</summary>
    [ConfigurationKeyName("force-new-cluster")] public string? ForceNewCluster { get; set; }

    /// <summary><c>--data-dir</c>.</summary>
    [ConfigurationKeyName("data-dir")] public string? DataDir { get; set; }

    /// <summary><c>--seed-file</c>.</summary>
    [ConfigurationKeyName("seed-file")] public string? SeedFile { get; set; }

    /// <summary><c>--dev</c>.</summary>
    [ConfigurationKeyName("dev")] public string? Dev { get; set; }

    /// <summary><c>--snapshot-interval</c>.</summary>
    [ConfigurationKeyName("snapshot-interval")] public string? SnapshotInterval { get; set; }

    /// <summary><c>--max-value-bytes</c>.</summary>
    [ConfigurationKeyName("max-value-bytes")] public string? MaxValueBytes { get; set; }

    /// <summary><c>--write-timeout</c>.</summary>
    [ConfigurationKeyName("write-timeout")] public string? WriteTimeout { get; set; }

    /// <summary><c>--read-timeout</c>.</summary>
    [ConfigurationKeyName("read-timeout")] public string? ReadTimeout { get; set; }

    /// <summary><c>--compaction-interval</c>.</summary>
    [ConfigurationKeyName("compaction-interval")] public string? CompactionInterval { get; set; }

    /// <summary><c>--token-reap-grace</c>.</summary>
    [ConfigurationKeyName("token-reap-grace")] public string? TokenReapGrace { get; set; }

    /// <summary><c>--store-memory</c>.</summary>
    [ConfigurationKeyName("store-memory")] public string? StoreMemory { get; set; }

    /// <summary><c>--compact-threshold</c>.</summary>
    [ConfigurationKeyName("compact-threshold")] public string? CompactThreshold { get; set; }

    /// <summary><c>--durability</c>.</summary>
    [ConfigurationKeyName("durability")] public string? Durability { get; set; }

    /// <summary><c>--election-timeout</c>.</summary>
    [ConfigurationKeyName("election-timeout")] public string? ElectionTimeout { get; set; }

    /// <summary><c>--master-key-file</c>.</summary>
    [ConfigurationKeyName("master-key-file")] public string? MasterKeyFile { get; set; }

    /// <summary><c>--peer-tls-cert</c>.</summary>
    [ConfigurationKeyName("peer-tls-cert")] public string? PeerTlsCert { get; set; }

    /// <summary><c>--peer-tls-key</c>.</summary>
    [ConfigurationKeyName("peer-tls-key")] public string? PeerTlsKey { get; set; }

    /// <summary><c>--peer-tls-ca</c>.</summary>
    [ConfigurationKeyName("peer-tls-ca")] public string? PeerTlsCa { get; set; }

    /// <summary><c>--tls-cert</c>.</summary>
    [ConfigurationKeyName("tls-cert")] public string? TlsCert { get; set; }

    /// <summary><c>--tls-key</c>.</summary>
    [ConfigurationKeyName("tls-key")] public string? TlsKey { get; set; }

    /// <summary><c>--log-format</c>.</summary>
    [ConfigurationKeyName("log-format")] public string? LogFormat { get; set; }

    /// <summary><c>--metrics-open</c>.</summary>
    [ConfigurationKeyName("metrics-open")] public string? MetricsOpen { get; set; }

    /// <summary><c>--grpc-reflection</c>.</summary>
    [ConfigurationKeyName("grpc-reflection")] public string? GrpcReflection { get; set; }

    /// <summary><c>--backup-dir</c>.</summary>
    [ConfigurationKeyName("backup-dir")] public string? BackupDir { get; set; }

    /// <summary><c>--backup-interval</c>.</summary>
    [ConfigurationKeyName("backup-interval")] public string? BackupInterval { get; set; }

    /// <summary><c>--backup-keep</c>.</summary>
    [ConfigurationKeyName("backup-keep")] public string? BackupKeep { get; set; }

    /// <summary><c>--backup-key-file</c>.</summary>
    [ConfigurationKeyName("backup-key-file")] public string? BackupKeyFile { get; set; }
    /// <summary><c>--rate-limit-token</c>.</summary>
    [ConfigurationKeyName("rate-limit-token")] public string? RateLimitToken { get; set; }

    /// <summary><c>--rate-limit-source</c>.</summary>
    [ConfigurationKeyName("rate-limit-source")] public string? RateLimitSource { get; set; }

    /// <summary><c>--quota-token</c>.</summary>
    [ConfigurationKeyName("quota-token")] public string? QuotaToken { get; set; }

    /// <summary><c>--max-watches-per-token</c>.</summary>
    [ConfigurationKeyName("max-watches-per-token")] public string? MaxWatchesPerToken { get; set; }

    /// <summary><c>--max-long-polls-per-token</c>.</summary>
    [ConfigurationKeyName("max-long-polls-per-token")] public string? MaxLongPollsPerToken { get; set; }

    /// <summary><c>--audit-sink</c>.</summary>
    [ConfigurationKeyName("audit-sink")] public string? AuditSink { get; set; }

    /// <summary><c>--audit-sink-format</c>.</summary>
    [ConfigurationKeyName("audit-sink-format")] public string? AuditSinkFormat { get; set; }

    /// <summary><c>--audit-sink-buffer</c>.</summary>
    [ConfigurationKeyName("audit-sink-buffer")] public string? AuditSinkBuffer { get; set; }
}
