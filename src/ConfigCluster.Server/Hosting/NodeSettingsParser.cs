using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Reads <see cref="NodeSettings"/>. Each option comes from the command line (<c>--data-dir X</c>
/// or <c>--data-dir=X</c>), else the environment (<c>CONFIGCLUSTER_DATA_DIR</c>), else the
/// <c>ConfigCluster</c> section of appsettings.json (<c>"data-dir"</c>). Any problem is reported
/// as one line naming the option.
/// </summary>
public static class NodeSettingsParser
{
    private static readonly string[] ValueOptions =
    [
        "node-id", "http", "grpc", "raft", "members", "data-dir", "seed-file",
        "snapshot-interval", "max-value-bytes", "write-timeout", "read-timeout", "master-key-file", "urls",
        "peer-tls-cert", "peer-tls-key", "peer-tls-ca", "tls-cert", "tls-key", "log-format", "compaction-interval",
        "store-memory", "durability", "election-timeout",
    ];

    private static readonly string[] FlagOptions = ["dev", "join"];

    /// <summary>Parses and validates; on failure <paramref name="error"/> is a one-line message.</summary>
    public static bool TryParse(
        string[] args,
        Func<string, string?> environment,
        IConfiguration? appSettings,
        [NotNullWhen(true)] out NodeSettings? settings,
        [NotNullWhen(false)] out string? error)
    {
        settings = null;
        if (!TryReadCommandLine(args, out var commandLine, out error))
            return false;

        string? Get(string name)
        {
            if (commandLine.TryGetValue(name, out var value))
                return value;
            var env = environment("CONFIGCLUSTER_" + name.Replace('-', '_').ToUpperInvariant());
            if (!string.IsNullOrEmpty(env))
                return env;
            return appSettings?[$"ConfigCluster:{name}"];
        }

        var dev = Get("dev") is { } devText && (devText.Length == 0 || bool.TryParse(devText, out var d) && d);
        var nodeId = Get("node-id") ?? (dev ? "dev" : null);
        var http = Get("http") ?? (dev ? "http://127.0.0.1:7001" : null);
        var grpc = Get("grpc") ?? (dev ? "http://127.0.0.1:7002" : null);
        var raft = Get("raft") ?? (dev ? "127.0.0.1:7003" : null);
        var dataDir = Get("data-dir") ?? (dev ? Path.Combine(Environment.CurrentDirectory, ".configcluster-dev") : null);

        if (!Require("node-id", nodeId, out error) || !Require("http", http, out error) || !Require("grpc", grpc, out error)
            || !Require("raft", raft, out error) || !Require("data-dir", dataDir, out error))
            return false;
        if (!Core.Keys.KeyPath.TryValidateScope(nodeId!, "--node-id", out error))
            return false;
        if (!TryParseUrl("http", http!, out var httpUrl, out error) || !TryParseUrl("grpc", grpc!, out var grpcUrl, out error))
            return false;
        if (!TryParseEndPoint(raft!, out var raftEndPoint))
            return Fail($"--raft: '{raft}' is not HOST:PORT (e.g. 127.0.0.1:7003 or node1:7003)", out error);

        // --join: a new member of a running cluster; it learns the members when it is added.
        var join = Get("join") is { } joinText && (joinText.Length == 0 || bool.TryParse(joinText, out var j) && j);
        if (join && dev)
            return Fail("--join and --dev do not go together", out error);
        var members = new List<EndPoint>();
        var membersText = Get("members") ?? (dev ? raft : null);
        if (!join && !Require("members", membersText, out error))
            return false;
        foreach (var part in (membersText ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParseEndPoint(part, out var member))
                return Fail($"--members: '{part}' is not HOST:PORT", out error);
            if (members.Contains(member))
                return Fail($"--members: '{part}' is listed twice", out error);
            members.Add(member);
        }

        if (!join && !members.Contains(raftEndPoint))
            return Fail($"--members must include this node's --raft endpoint {raftEndPoint}", out error);
        if (dev && members.Count != 1)
            return Fail("--dev runs one node: --members must name only this node", out error);

        if (!TryParseLong("snapshot-interval", Get("snapshot-interval"), 10_000, 2, long.MaxValue, out var snapshotInterval, out error)
            || !TryParseLong("max-value-bytes", Get("max-value-bytes"), 1 << 20, 16, 4 << 20, out var maxValueBytes, out error)
            || !TryParseDuration("write-timeout", Get("write-timeout"), TimeSpan.FromSeconds(10), out var writeTimeout, out error)
            || !TryParseDuration("read-timeout", Get("read-timeout"), TimeSpan.FromSeconds(5), out var readTimeout, out error)
            || !TryParseDuration("compaction-interval", Get("compaction-interval"), TimeSpan.FromMinutes(5), out var compactionInterval, out error))
            return false;

        long storeMemory = 64L << 20;
        if (Get("store-memory") is { } storeMemoryText && (!SizeParser.TryParse(storeMemoryText, out storeMemory) || storeMemory < (16L << 20)))
            return Fail($"--store-memory: '{storeMemoryText}' is not a size of at least 16MiB (e.g. 64MiB, 1GiB)", out error);
        var durabilityText = Get("durability") ?? "fsync";
        if (durabilityText is not ("fsync" or "replicated"))
            return Fail($"--durability: '{durabilityText}' is not fsync or replicated", out error);
        if (!TryParseDuration("election-timeout", Get("election-timeout"), TimeSpan.FromMilliseconds(500), out var electionTimeout, out error))
            return false;

        var logFormat = Get("log-format") ?? "text";
        if (logFormat is not ("text" or "json"))
            return Fail($"--log-format: '{logFormat}' is not text or json", out error);

        var masterKeyFile = Get("master-key-file");
        if (masterKeyFile is not null && !File.Exists(masterKeyFile))
            return Fail($"--master-key-file: '{masterKeyFile}' does not exist", out error);

        if (!PeerTlsLoader.TryLoad(Get("peer-tls-cert"), Get("peer-tls-key"), Get("peer-tls-ca"), out var peerTls, out error))
            return false;

        System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null;
        if (Get("tls-cert") is { } tlsCert && Get("tls-key") is { } tlsKey)
        {
            try
            {
                clientCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(tlsCert, tlsKey);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
            {
                return Fail($"--tls-cert/--tls-key: {e.Message.ReplaceLineEndings(" ")}", out error);
            }
        }
        else if (Get("tls-cert") is not null || Get("tls-key") is not null)
        {
            return Fail("--tls-cert and --tls-key go together", out error);
        }

        if ((httpUrl.Scheme == "https" || grpcUrl.Scheme == "https") && clientCertificate is null)
            return Fail("--http/--grpc: an https listener needs --tls-cert and --tls-key", out error);

        var seedFile = Get("seed-file");
        if (seedFile is not null && !File.Exists(seedFile))
            return Fail($"--seed-file: '{seedFile}' does not exist", out error);

        string fullDataDir;
        try
        {
            fullDataDir = Path.GetFullPath(dataDir!);
            Directory.CreateDirectory(fullDataDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Fail($"--data-dir: cannot create '{dataDir}': {e.Message}", out error);
        }

        settings = new NodeSettings
        {
            NodeId = nodeId!,
            HttpUrl = httpUrl,
            GrpcUrl = grpcUrl,
            RaftEndPoint = raftEndPoint,
            Members = members,
            DataDirectory = fullDataDir,
            SeedFile = seedFile is null ? null : Path.GetFullPath(seedFile),
            Dev = dev,
            MasterKeyFile = masterKeyFile is null ? null : Path.GetFullPath(masterKeyFile),
            PeerTls = peerTls,
            ClientCertificate = clientCertificate,
            SnapshotInterval = snapshotInterval,
            MaxValueBytes = (int)maxValueBytes,
            WriteTimeout = writeTimeout,
            ReadTimeout = readTimeout,
            JsonLogs = logFormat == "json",
            CompactionInterval = compactionInterval,
            Join = join,
            StoreMemoryBytes = storeMemory,
            Durability = durabilityText == "replicated" ? Consensus.DurabilityMode.Replicated : Consensus.DurabilityMode.Fsync,
            ElectionTimeout = electionTimeout,
        };
        return true;
    }

    private static bool TryReadCommandLine(string[] args, out Dictionary<string, string> values, [NotNullWhen(false)] out string? error)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                return Fail($"unexpected argument '{arg}' (options look like --data-dir DIR)", out error);
            var name = arg[2..];
            string? value = null;
            if (name.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (FlagOptions.Contains(name))
            {
                values[name] = value ?? "";
                continue;
            }

            if (!ValueOptions.Contains(name))
                return Fail($"--{name}: unknown option", out error);
            if (value is null)
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    return Fail($"--{name}: a value is required", out error);
                value = args[++i];
            }

            values[name] = value;
        }

        return true;
    }

    private static bool Require(string name, string? value, [NotNullWhen(false)] out string? error)
    {
        error = string.IsNullOrWhiteSpace(value) ? $"--{name} is required (or CONFIGCLUSTER_{name.Replace('-', '_').ToUpperInvariant()})" : null;
        return error is null;
    }

    private static bool TryParseUrl(string name, string text, out Uri url, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out url!) || url.Scheme is not ("http" or "https") || url.Port <= 0 || url.AbsolutePath != "/")
            error = $"--{name}: '{text}' is not a URL like http://127.0.0.1:7001";
        return error is null;
    }

    // HOST:PORT where HOST is an IP address or a DNS name (containers address peers by name).
    /// <summary>Parses <c>HOST:PORT</c> (an IP address or a DNS name).</summary>
    public static bool TryParseEndPoint(string text, [NotNullWhen(true)] out EndPoint? endPoint)
    {
        endPoint = null;
        if (IPEndPoint.TryParse(text, out var ip) && ip.Port > 0 && text.Contains(':', StringComparison.Ordinal))
        {
            endPoint = ip;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return false;
        var host = text[..colon];
        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
            return false;
        endPoint = new DnsEndPoint(host, port);
        return true;
    }

    private static bool TryParseLong(string name, string? text, long fallback, long min, long max, out long value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = fallback;
        if (text is null)
            return true;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < min || value > max)
            error = $"--{name}: '{text}' is not a whole number between {min} and {max}";
        return error is null;
    }

    private static bool TryParseDuration(string name, string? text, TimeSpan fallback, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        value = fallback;
        if (text is null)
            return true;
        if (!DurationParser.TryParse(text, out value) || value <= TimeSpan.Zero)
            error = $"--{name}: '{text}' is not a duration like 500ms, 10s or 2m";
        return error is null;
    }

    private static bool Fail(string message, [NotNullWhen(false)] out string? error)
    {
        error = message;
        return false;
    }
}
