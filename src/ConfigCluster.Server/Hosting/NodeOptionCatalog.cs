namespace ConfigCluster.Server.Hosting;

/// <summary>One node option: its name (the flag without dashes, the configuration key), how it is written, its default and meaning.</summary>
/// <param name="Name">The flag name, e.g. <c>data-dir</c>; also the key in configcluster.json and, upper-cased with underscores, the environment variable after <c>CONFIGCLUSTER_</c>.</param>
/// <param name="Value">How the value is written, e.g. <c>DIR</c>; null for a flag that takes no value.</param>
/// <param name="Default">The default, as <c>--help</c> shows it.</param>
/// <param name="Meaning">What it does.</param>
public sealed record NodeOption(string Name, string? Value, string Default, string Meaning)
{
    /// <summary>True for a boolean flag (<c>--dev</c>): it may be given without a value.</summary>
    public bool IsFlag => Value is null;

    /// <summary>The environment variable that carries it, e.g. <c>CONFIGCLUSTER_DATA_DIR</c>.</summary>
    public string EnvironmentVariable => NodeOptionCatalog.EnvironmentPrefix + Name.Replace('-', '_').ToUpperInvariant();
}

/// <summary>
/// Every node option, once: the command line's switch mappings, the environment source, the
/// <c>--help</c> text and deploy/validate.sh are all derived from this list.
/// </summary>
public static class NodeOptionCatalog
{
    /// <summary>Prefix of the environment variables that carry options.</summary>
    public const string EnvironmentPrefix = "CONFIGCLUSTER_";

    /// <summary>The options, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<NodeOption> All { get; } =
    [
        new("node-id", "ID", "required (dev: dev)", "the node's unique name (a-z 0-9 _ -)"),
        new("http", "URL", "required (dev: http://127.0.0.1:7001)", "HTTP/1.1 JSON listener"),
        new("grpc", "URL", "required (dev: http://127.0.0.1:7002)", "gRPC (HTTP/2) listener; may equal --http"),
        new("raft", "HOST:PORT", "required (dev: 127.0.0.1:7003)", "this node's Raft peer endpoint"),
        new("members", "LIST", "required unless --join", "Raft endpoints of the initial members, this node included"),
        new("join", null, "off", "start as a new member of a running cluster; wait to be added"),
        new("force-new-cluster", null, "off", "disaster recovery: start a one-member cluster from this node's data (once per data directory)"),
        new("data-dir", "DIR", "required (dev: ./.configcluster-dev)", "WAL, FASTER store and temp files; created if missing"),
        new("seed-file", "FILE", "none", "JSON or YAML imported at start (nested objects become dot keys)"),
        new("dev", null, "off", "one-node development mode, no TLS"),
        new("snapshot-interval", "N", "10000", "applied entries between store checkpoints"),
        new("max-value-bytes", "N", "1048576", "largest value accepted (16 to 4194304)"),
        new("write-timeout", "DURATION", "10s", "how long a write waits for a leader and commit"),
        new("read-timeout", "DURATION", "5s", "how long a linearizable read waits for its barrier"),
        new("compaction-interval", "DURATION", "5m", "how often the leader applies history retention"),
        new("token-reap-grace", "DURATION", "1h", "how long an expired or revoked token is kept before the leader removes it"),
        new("store-memory", "SIZE", "64MiB", "FASTER's in-memory budget (at least 16MiB); colder keys are read from disk"),
        new("compact-threshold", "SIZE", "256MiB", "log span from which checkpoints compact the store's log, a slice at a time (0 = off; else at least 1MiB)"),
        new("durability", "fsync|replicated", "fsync", "acknowledge a write once synced on a majority, or once a majority holds it"),
        new("election-timeout", "DURATION", "500ms", "lower bound of the randomized Raft election timeout (upper: 1.5 times it; heartbeats every fifth of it)"),
        new("master-key-file", "FILE", "none", "base64 master key for secrets (or CONFIGCLUSTER_MASTER_KEY)"),
        new("peer-tls-cert", "FILE", "none", "PEM certificate for mutual TLS between peers (with --peer-tls-key, --peer-tls-ca)"),
        new("peer-tls-key", "FILE", "none", "PEM key of --peer-tls-cert"),
        new("peer-tls-ca", "FILE", "none", "PEM CA that peer certificates must chain to"),
        new("tls-cert", "FILE", "none", "PEM certificate of https:// client listeners (with --tls-key)"),
        new("tls-key", "FILE", "none", "PEM key of --tls-cert"),
        new("log-format", "text|json", "text", "console logs as text lines or one JSON object per line"),
        new("metrics-open", null, "off", "serve /metrics without a token (otherwise it needs admin)"),
        new("grpc-reflection", null, "off", "serve gRPC server reflection (admin token required) for grpcurl and friends"),
        new("backup-dir", "DIR", "none", "write a snapshot of this node's state here every --backup-interval (off without it)"),
        new("backup-interval", "DURATION", "1h", "how often a scheduled backup is written (with --backup-dir)"),
        new("backup-keep", "N", "7", "scheduled backups kept; older ones are deleted"),
        new("backup-key-file", "FILE", "none", "seal scheduled backups with this backup key (32 bytes, base64): encrypted and authenticated"),
        new("rate-limit-token", "N/PERIOD", "off", "requests per token (by accessor) per period, e.g. 200/s; over it: 429 with Retry-After / RESOURCE_EXHAUSTED"),
        new("rate-limit-source", "N/PERIOD", "off", "requests per source IP per period, with or without a token, e.g. 1000/s"),
        new("quota-token", "N/PERIOD", "off", "request quota per token over a fixed window, e.g. 100000/1h"),
        new("max-watches-per-token", "N", "off", "concurrent watches (gRPC Watch streams and WebSockets) per token"),
        new("max-long-polls-per-token", "N", "off", "concurrent long-polls (GET ?wait=) per token"),
        new("audit-sink", "stdout|unix:PATH|tcp:HOST:PORT", "none", "also stream every audit record as a JSON line to stdout or a socket (fail closed: 503 while it cannot be written)"),
        new("audit-sink-format", "json|syslog", "json", "lines as they are in the audit file, or in RFC 5424 syslog messages (octet-counted on sockets)"),
        new("audit-sink-buffer", "N", "10000", "audit lines the stream sink may hold unsent before requests are refused"),
    ];

    /// <summary>Looks an option up by name.</summary>
    public static NodeOption? Find(string name) => All.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The command line's switch mappings: <c>--data-dir</c> → <c>data-dir</c>.</summary>
    public static IDictionary<string, string> SwitchMappings { get; } = All.ToDictionary(static o => "--" + o.Name, static o => o.Name);

    /// <summary>The <c>--help</c> text: every option with its default.</summary>
    public static string HelpText()
    {
        var lines = new List<string>
        {
            "usage: ConfigCluster.Server [options]",
            "       ConfigCluster.Server restore FILE --data-dir DIR   (prepare an empty data directory from a snapshot)",
            "",
            "Each option also comes from CONFIGCLUSTER_<NAME> (dashes as underscores), from configcluster.json",
            "in the working directory, or from the ConfigCluster section of appsettings.json; the command line wins.",
            "",
        };
        foreach (var option in All)
        {
            var flag = option.IsFlag ? "--" + option.Name : $"--{option.Name} {option.Value}";
            lines.Add($"  {flag,-34} {option.Meaning} [default: {option.Default}]");
        }

        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}
