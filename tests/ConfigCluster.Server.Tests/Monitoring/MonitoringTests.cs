using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ConfigCluster.Server.Tests.Harness;
using YamlDotNet.Serialization;

namespace ConfigCluster.Server.Tests.Monitoring;

/// <summary>
/// deploy/monitoring: the Prometheus rules load (<c>promtool check rules</c> and the rules' own unit
/// tests when promtool is installed; otherwise the YAML is parsed and checked for the fields every
/// rule needs), and every metric the rules and the Grafana dashboard name is exported by live nodes.
/// </summary>
public sealed partial class MonitoringTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    // Series Prometheus makes itself rather than scraping them.
    private static readonly HashSet<string> Synthetic = ["up"];

    private static readonly HashSet<string> Keywords = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"];

    private readonly string directory = Path.Combine(Path.GetTempPath(), "cc-mon-" + Guid.NewGuid().ToString("N")[..12]);

    private static string Monitoring => Path.Combine(RepoRoot(), "deploy", "monitoring");

    [Fact]
    public async Task AlertRules_LoadInPromtool_OrParseWithEveryRuleComplete()
    {
        var rules = Path.Combine(Monitoring, "alerts.yml");
        if (Which("promtool") is { } promtool)
        {
            var (code, text) = await RunAsync(promtool, Monitoring, "check", "rules", "alerts.yml");
            Assert.True(code == 0, text);
            (code, text) = await RunAsync(promtool, Monitoring, "test", "rules", "alerts.test.yml");
            Assert.True(code == 0, text);
        }
        else
        {
            output.WriteLine("promtool is not installed: checking the rules' structure only");
        }

        var groups = Rules(rules);
        Assert.NotEmpty(groups);
        var alerts = groups.SelectMany(static g => g.Rules).ToList();
        foreach (var rule in alerts)
        {
            Assert.False(string.IsNullOrWhiteSpace(rule.Expr), $"{rule.Alert}: expr");
            Assert.Contains(rule.Severity, (string[])["info", "warning", "critical"]);
            Assert.False(string.IsNullOrWhiteSpace(rule.Summary), $"{rule.Alert}: summary");
            Assert.Equal(rule.Expr.Count(static c => c == '('), rule.Expr.Count(static c => c == ')'));
        }

        Assert.Equal(alerts.Count, alerts.Select(static r => r.Alert).Distinct().Count());
        // What the issue asks the rules to cover.
        foreach (var metric in (string[])["configcluster_raft_has_leader", "configcluster_raft_apply_lag", "entries_flush_duration_milliseconds_bucket", "configcluster_secrets_sealed",
                     "configcluster_audit_sink_up", "configcluster_tls_certificate_expiry_seconds", "configcluster_disk_free_bytes"])
            Assert.Contains(alerts, r => MetricNames(r.Expr).Contains(metric));
    }

    [Fact]
    public async Task RulesAndDashboard_NameOnlyMetricsThatLiveNodesExport()
    {
        var used = Rules(Path.Combine(Monitoring, "alerts.yml")).SelectMany(static g => g.Rules).SelectMany(static r => MetricNames(r.Expr))
            .Concat(DashboardExpressions(Path.Combine(Monitoring, "grafana-dashboard.json")).SelectMany(MetricNames))
            .Where(static name => !Synthetic.Contains(name))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(used.Count >= 15, string.Join(", ", used));

        // Three nodes (forwarded writes and per-peer request times exist only with followers), with
        // peer TLS (certificate expiry) and an audit stream (its sink gauge) configured.
        Directory.CreateDirectory(directory);
        var (cert, key) = PeerCertificate();
        using var listener = AuditListener.Tcp(PortAllocator.Next());
        await using var cluster = await TestCluster.StartAsync(arguments:
            ["--peer-tls-cert", cert, "--peer-tls-key", key, "--peer-tls-ca", cert, "--audit-sink", listener.SinkOption, "--metrics-open"]);
        var follower = cluster[await cluster.FollowerAsync()];
        var leader = cluster[await cluster.WaitForLeaderAsync(TestCluster.StartTimeout)];
        for (var i = 0; i < 3; i++)
            await follower.Http.MustPutAsync($"monitoring.k{i}", i);
        await follower.Http.GetJsonAsync("/config/monitoring.k0");

        var missing = used.ToList();
        await Eventually.WaitAsync(async () =>
        {
            var exported = SeriesNames(await follower.Anonymous.GetStringAsync("/metrics")).Concat(SeriesNames(await leader.Anonymous.GetStringAsync("/metrics"))).ToHashSet(StringComparer.Ordinal);
            missing = [.. used.Where(name => !exported.Contains(name))];
            return missing.Count == 0;
        }, TimeSpan.FromSeconds(30), "every metric the rules and dashboard use to be exported");
        Assert.Empty(missing);
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }

    /// <summary>The metric names a PromQL expression reads (functions, keywords, labels and durations left out).</summary>
    internal static IEnumerable<string> MetricNames(string expr)
    {
        var text = Strings().Replace(expr, "\"\"");
        text = Variables().Replace(text, " ");
        text = LabelMatchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Groupings().Replace(text, " ");
        foreach (Match match in Identifiers().Matches(text))
        {
            var name = match.Groups["name"].Value;
            if (!match.Groups["call"].Success && !Keywords.Contains(name))
                yield return name;
        }
    }

    private static IEnumerable<string> SeriesNames(string metrics)
        => metrics.Split('\n').Where(static l => l.Length > 0 && l[0] != '#').Select(static l => l[..l.IndexOfAny(['{', ' '])]);

    private sealed record Rule(string Alert, string Expr, string Severity, string Summary);

    private sealed record Group(string Name, List<Rule> Rules);

    private static List<Group> Rules(string file)
    {
        var document = (Dictionary<object, object>)new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(file))!;
        return [.. ((List<object>)document["groups"]).Cast<Dictionary<object, object>>().Select(static g => new Group((string)g["name"],
            [.. ((List<object>)g["rules"]).Cast<Dictionary<object, object>>().Select(static r => new Rule(
                (string)r["alert"], (string)r["expr"],
                r.TryGetValue("labels", out var labels) && ((Dictionary<object, object>)labels).TryGetValue("severity", out var severity) ? (string)severity : "",
                r.TryGetValue("annotations", out var notes) && ((Dictionary<object, object>)notes).TryGetValue("summary", out var summary) ? (string)summary : ""))]))];
    }

    private static IEnumerable<string> DashboardExpressions(string file)
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(file))!;
        Assert.Equal("configcluster", dashboard["uid"]!.GetValue<string>());
        static IEnumerable<JsonNode> Panels(JsonArray? panels) => panels is null ? [] : panels.SelectMany(p => (IEnumerable<JsonNode>)[p!, .. Panels(p!["panels"] as JsonArray)]);
        var expressions = Panels(dashboard["panels"] as JsonArray).SelectMany(static p => (p["targets"] as JsonArray ?? []).Select(static t => t!["expr"]!.GetValue<string>())).ToList();
        Assert.NotEmpty(expressions);
        return expressions;
    }

    private (string Cert, string Key) PeerCertificate()
    {
        // One self-signed certificate serves as every node's certificate and as the CA.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=configcluster-peer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certFile = Path.Combine(directory, "peer.pem");
        var keyFile = Path.Combine(directory, "peer.key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    private static string? Which(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    private static async Task<(int Code, string Output)> RunAsync(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConfigCluster.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex Variables();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![\w.:])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifiers();
}
