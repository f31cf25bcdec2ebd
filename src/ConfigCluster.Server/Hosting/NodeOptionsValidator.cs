using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using ConfigCluster.Consensus;
using Microsoft.Extensions.Options;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Checks <see cref="NodeOptions"/> and reads them into <see cref="NodeSettings"/> (without
/// touching the disk: certificates and the data directory are start-up's, see
/// <see cref="NodeStartup"/>). Every failure is one line naming the option.
/// </summary>
public sealed partial class NodeOptionsValidator : IValidateOptions<NodeOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, NodeOptions options)
        => TryRead(options, out _, out var error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);

    /// <summary>Reads validated settings; on failure <paramref name="error"/> is one line naming the option.</summary>
    public static bool TryRead(NodeOptions options, [NotNullWhen(true)] out NodeSettings? settings, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(options);
        settings = null;
        if (!TryFlag("dev", options.Dev, out var dev, out error) || !TryFlag("join", options.Join, out var join, out error)
            || !TryFlag("force-new-cluster", options.ForceNewCluster, out var forceNewCluster, out error)
            || !TryFlag("metrics-open", options.MetricsOpen, out var metricsOpen, out error) || !TryFlag("grpc-reflection", options.GrpcReflection, out var reflection, out error))
            return false;
        if (join && forceNewCluster)
        {
            error = "--force-new-cluster and --join exclude each other: force a new cluster on the survivor, join the fresh nodes to it";
            return false;
        }

        var nodeId = options.NodeId ?? (dev ? "dev" : null);
        var http = options.Http ?? (dev ? "http://127.0.0.1:7001" : null);
        var grpc = options.Grpc ?? (dev ? "http://127.0.0.1:7002" : null);
        var raft = options.Raft ?? (dev ? "127.0.0.1:7003" : null);
        var dataDir = options.DataDir ?? (dev ? Path.Combine(Environment.CurrentDirectory, ".configcluster-dev") : null);
        if (!Require("node-id", nodeId, out error) || !Require("http", http, out error) || !Require("grpc", grpc, out error)
            || !Require("raft", raft, out error) || !Require("data-dir", dataDir, out error))
            return false;
        if (!Core.Keys.KeyPath.TryValidateScope(nodeId!, "--node-id", out error))
            return false;
        if (!TryUrl("http", http!, out var httpUrl, out error) || !TryUrl("grpc", grpc!, out var grpcUrl, out error))
            return false;
        if (!EndPointText.TryParse(raft!, out var raftEndPoint))
            return Fail($"--raft: '{raft}' is not HOST:PORT (e.g. 127.0.0.1:7003 or node1:7003)", out error);
        if (join && dev)
            return Fail("--join and --dev do not go together", out error);
        if (!TryMembers(options.Members ?? (dev ? raft : null), join, raftEndPoint, out var members, out error))
            return false;
        if (dev && members.Count != 1)
            return Fail("--dev runs one node: --members must name only this node", out error);

        if (!TryLong("snapshot-interval", options.SnapshotInterval, 10_000, 2, long.MaxValue, out var snapshotInterval, out error)
            || !TryLong("max-value-bytes", options.MaxValueBytes, 1 << 20, 16, 4 << 20, out var maxValueBytes, out error)
            || !TryDuration("write-timeout", options.WriteTimeout, TimeSpan.FromSeconds(10), out var writeTimeout, out error)
            || !TryDuration("read-timeout", options.ReadTimeout, TimeSpan.FromSeconds(5), out var readTimeout, out error)
            || !TryDuration("compaction-interval", options.CompactionInterval, TimeSpan.FromMinutes(5), out var compactionInterval, out error)
            || !TryDuration("election-timeout", options.ElectionTimeout, TimeSpan.FromMilliseconds(500), out var electionTimeout, out error)
            || !TryDuration("token-reap-grace", options.TokenReapGrace, TimeSpan.FromHours(1), out var tokenReapGrace, out error))
            return false;
        var storeMemory = 64L << 20;
        if (options.StoreMemory is { } storeMemoryText && (!SizeParser.TryParse(storeMemoryText, out storeMemory) || storeMemory < (16L << 20)))
            return Fail($"--store-memory: '{storeMemoryText}' is not a size of at least 16MiB (e.g. 64MiB, 1GiB)", out error);
        var compactThreshold = Storage.StoreOptions.DefaultCompactionMinBytes;
        if (options.CompactThreshold is { } compactText && (!SizeParser.TryParse(compactText, out compactThreshold) || compactThreshold is > 0 and < (1L << 20)))
            return Fail($"--compact-threshold: '{compactText}' is not 0 (off) or a size of at least 1MiB (e.g. 256MiB, 1GiB)", out error);
        if ((options.Durability ?? "fsync") is not ("fsync" or "replicated"))
            return Fail($"--durability: '{options.Durability}' is not fsync or replicated", out error);
        if ((options.LogFormat ?? "text") is not ("text" or "json"))
            return Fail($"--log-format: '{options.LogFormat}' is not text or json", out error);
        if (options.MasterKeyFile is { } masterKeyFile && !File.Exists(masterKeyFile))
            return Fail($"--master-key-file: '{masterKeyFile}' does not exist", out error);
        if (options.SeedFile is { } seedFile && !File.Exists(seedFile))
            return Fail($"--seed-file: '{seedFile}' does not exist", out error);
        if ((options.PeerTlsCert, options.PeerTlsKey, options.PeerTlsCa) is not ((null, null, null) or (not null, not null, not null)))
            return Fail("--peer-tls-cert, --peer-tls-key and --peer-tls-ca go together", out error);
        if ((options.TlsCert is null) != (options.TlsKey is null))
            return Fail("--tls-cert and --tls-key go together", out error);
        if ((httpUrl.Scheme == "https" || grpcUrl.Scheme == "https") && options.TlsCert is null)
            return Fail("--http/--grpc: an https listener needs --tls-cert and --tls-key", out error);
        if (!TryBackups(options, out var backups, out error) || !TryLimits(options, out var limits, out error) || !TryAuditSink(options, out var auditSink, out error))
            return false;

        settings = new NodeSettings
        {
            NodeId = nodeId!,
            HttpUrl = httpUrl,
            GrpcUrl = grpcUrl,
            RaftEndPoint = raftEndPoint,
            Members = members,
            DataDirectory = Path.GetFullPath(dataDir!),
            SeedFile = options.SeedFile is null ? null : Path.GetFullPath(options.SeedFile),
            Dev = dev,
            MasterKeyFile = options.MasterKeyFile is null ? null : Path.GetFullPath(options.MasterKeyFile),
            SnapshotInterval = snapshotInterval,
            MaxValueBytes = (int)maxValueBytes,
            WriteTimeout = writeTimeout,
            ReadTimeout = readTimeout,
            JsonLogs = options.LogFormat == "json",
            CompactionInterval = compactionInterval,
            TokenReapGrace = tokenReapGrace,
            Join = join,
            ForceNewCluster = forceNewCluster,
            StoreMemoryBytes = storeMemory,
            CompactThresholdBytes = compactThreshold,
            Durability = options.Durability == "replicated" ? DurabilityMode.Replicated : DurabilityMode.Fsync,
            ElectionTimeout = electionTimeout,
            MetricsOpen = metricsOpen,
            GrpcReflection = reflection,
            Backups = backups,
            Limits = limits,
            AuditSink = auditSink,
        };
        return true;
    }

    private static bool TryMembers(string? text, bool join, EndPoint self, out List<EndPoint> members, [NotNullWhen(false)] out string? error)
    {
        members = [];
        // --join: a new member of a running cluster learns the members when it is added.
        if (!join && !Require("members", text, out error))
            return false;
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!EndPointText.TryParse(part, out var member))
                return Fail($"--members: '{part}' is not HOST:PORT", out error);
            if (members.Contains(member))
                return Fail($"--members: '{part}' is listed twice", out error);
            members.Add(member);
        }

        if (!join && !members.Contains(self))
            return Fail($"--members must include this node's --raft endpoint {self}", out error);
        error = null;
        return true;
    }

    private static bool TryFlag(string name, string? text, out bool value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = text is not null && (text.Length == 0 || (bool.TryParse(text, out var parsed) && parsed));
        if (text is { Length: > 0 } && !bool.TryParse(text, out _))
            error = $"--{name}: '{text}' is not true or false";
        return error is null;
    }

    private static bool Require(string name, string? value, [NotNullWhen(false)] out string? error)
    {
        error = string.IsNullOrWhiteSpace(value) ? $"--{name} is required (or {NodeOptionCatalog.Find(name)!.EnvironmentVariable})" : null;
        return error is null;
    }

    private static bool TryUrl(string name, string text, out Uri url, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out url!) || url.Scheme is not ("http" or "https") || url.Port <= 0 || url.AbsolutePath != "/")
            error = $"--{name}: '{text}' is not a URL like http://127.0.0.1:7001";
        return error is null;
    }

    private static bool TryLong(string name, string? text, long fallback, long min, long max, out long value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = fallback;
        if (text is not null && (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < min || value > max))
            error = $"--{name}: '{text}' is not a whole number between {min} and {max}";
        return error is null;
    }

    private static bool TryDuration(string name, string? text, TimeSpan fallback, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = fallback;
        if (text is not null && (!DurationParser.TryParse(text, out value) || value <= TimeSpan.Zero))
            error = $"--{name}: '{text}' is not a duration like 500ms, 10s or 2m";
        return error is null;
    }

    private static bool TryBackups(NodeOptions options, out Operations.BackupSchedule? backups, [NotNullWhen(false)] out string? error)
    {
        backups = null;
        if (!TryDuration("backup-interval", options.BackupInterval, TimeSpan.FromHours(1), out var interval, out error)
            || !TryLong("backup-keep", options.BackupKeep, 7, 1, 10_000, out var keep, out error))
            return false;
        if (options.BackupDir is null)
        {
            return options.BackupInterval is null && options.BackupKeep is null && options.BackupKeyFile is null
                || Fail("--backup-interval, --backup-keep and --backup-key-file need --backup-dir", out error);
        }

        byte[]? key = null;
        if (options.BackupKeyFile is { } keyFile)
        {
            try
            {
                key = Core.Crypto.BackupEnvelope.ReadKeyFile(keyFile);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return Fail($"--backup-key-file: {e.Message}", out error);
            }
        }

        backups = new Operations.BackupSchedule(Path.GetFullPath(options.BackupDir), interval, (int)keep, key);
        return true;
    }

    private static bool Fail(string message, [NotNullWhen(false)] out string? error)
    {
        error = message;
        return false;
    }
}
