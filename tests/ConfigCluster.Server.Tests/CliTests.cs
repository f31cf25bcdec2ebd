using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>ccctl against a real cluster: commands, JSON output and exit codes scripts rely on.</summary>
public sealed class CliTests
{
    private static Task<(int Code, string Out, string Err)> CcctlAsync(TestCluster cluster, params string[] args) => Ccctl.RunAsync(cluster, args);

    [Fact]
    public async Task Ccctl_PutGetListHistoryRollback_WithTrustworthyExitCodes()
    {
        await using var cluster = await TestCluster.StartAsync();
        Assert.Equal(0, (await CcctlAsync(cluster, "put", "app.name", "demo")).Code);
        Assert.Equal(0, (await CcctlAsync(cluster, "put", "app.port", "8080")).Code);
        var get = await CcctlAsync(cluster, "get", "app.name");
        Assert.Equal("\"demo\"", get.Out.Trim());
        Assert.Equal(8080, (await cluster[0].Http.GetJsonAsync("/config/app.port")).Body!["value"]!.GetValue<int>());

        var list = await CcctlAsync(cluster, "list", "app.", "-o", "json");
        Assert.Equal(0, list.Code);
        Assert.Contains("\"app.port\"", list.Out);
        Assert.Equal(0, (await CcctlAsync(cluster, "put", "app.name", "second")).Code);
        Assert.Equal(0, (await CcctlAsync(cluster, "rollback", "app.name", "--version", "1")).Code);
        // The rollback wrote version 1's value back as a new version 3, which every node serves.
        Assert.Equal("\"demo\"", (await CcctlAsync(cluster, "get", "app.name")).Out.Trim());
        var rolledBack = (await cluster[2].Http.GetJsonAsync("/config/app.name")).Body!;
        Assert.Equal(("demo", 3L), (rolledBack["value"]!.GetValue<string>(), rolledBack["version"]!.GetValue<long>()));
        Assert.Contains("rollback", (await CcctlAsync(cluster, "history", "app.name")).Out);

        var missing = await CcctlAsync(cluster, "get", "no.such.key");
        Assert.Equal(2, missing.Code);
        Assert.Single(missing.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(3, (await CcctlAsync(cluster, "put", "app.name", "x", "--expected-version", "1")).Code);
        Assert.Equal(1, (await CcctlAsync(cluster, "frobnicate")).Code);
    }

    [Fact]
    public async Task CcctlStatus_NamesTheElectedLeader_InTextAndJson()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leaderId = cluster[await cluster.WaitForLeaderAsync(TestCluster.StartTimeout)].NodeId;

        var text = await CcctlAsync(cluster, "status");
        var json = await CcctlAsync(cluster, "status", "-o", "json");

        Assert.Equal((0, 0), (text.Code, json.Code));
        Assert.Contains($", leader {leaderId}, term ", text.Out, StringComparison.Ordinal);
        var status = System.Text.Json.Nodes.JsonNode.Parse(json.Out)!;
        Assert.Equal(leaderId, status["LeaderId"]!.GetValue<string>());
        var members = status["members"]!.AsArray();
        Assert.Equal(cluster.Nodes.Select(static n => n.NodeId).Order(), members.Select(static m => m!["NodeId"]!.GetValue<string>()).Order());
        Assert.Equal([leaderId], members.Where(static m => m!["IsLeader"]!.GetValue<bool>()).Select(static m => m!["NodeId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Ccctl_TokensAndPolicies_CreateListRevoke()
    {
        await using var cluster = await TestCluster.StartAsync();
        var rules = Path.Combine(Path.GetTempPath(), $"cc-policy-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(rules, "{\"rules\": [{\"path\": \"auth.*\", \"capabilities\": [\"read\"]}]}");
        try
        {
            Assert.Equal(0, (await CcctlAsync(cluster, "policy", "put", "auth-read", "--file", rules)).Code);
            var created = await CcctlAsync(cluster, "token", "create", "auth-svc", "--policy", "auth-read", "--ttl", "1h", "-o", "json");
            Assert.Equal(0, created.Code);
            var json = System.Text.Json.Nodes.JsonNode.Parse(created.Out)!;
            var token = json["token"]!.GetValue<string>();
            var accessor = json["accessor"]!.GetValue<string>();
            await cluster[0].Http.MustPutAsync("auth.url", "x");

            using var service = new HttpClient { BaseAddress = new Uri(cluster[1].HttpUrl) };
            service.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            // Node 2 knows the token once it has applied its creation (the log, not the call, carries it there).
            await Eventually.WaitAsync(async () => (await service.GetJsonAsync("/config/auth.url")).Status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the new token to work on another node");

            var list = await CcctlAsync(cluster, "token", "list");
            Assert.Contains("auth-svc", list.Out);
            Assert.DoesNotContain(token, list.Out);
            Assert.Equal(0, (await CcctlAsync(cluster, "token", "revoke", accessor)).Code);
            await Eventually.WaitAsync(async () => (await service.GetJsonAsync("/config/auth.url")).Status == System.Net.HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), "the revoked token to stop working");
        }
        finally
        {
            File.Delete(rules);
        }
    }

    [Fact]
    public async Task Ccctl_DiffAndPromote_BetweenEnvironments()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster[0].Http.MustPutAsync("db.pool", 10);
        await cluster[0].Http.MustPutAsync("db.pool", 25, "?env=staging");

        var diff = await CcctlAsync(cluster, "diff", "--from", "staging", "--to", "prod", "-o", "json");
        Assert.Equal(0, diff.Code);
        Assert.Contains("db.pool", diff.Out);
        var promote = await CcctlAsync(cluster, "promote", "--from", "staging", "--to", "prod", "--keys", "db.pool");
        Assert.Equal(0, promote.Code);
        Assert.Contains("promoted db.pool", promote.Out);
        Assert.Equal(25, (await cluster[1].Http.GetJsonAsync("/config/db.pool?env=prod")).Body!["value"]!.GetValue<int>());
        Assert.Contains("nothing to promote", (await CcctlAsync(cluster, "promote", "--from", "staging", "--to", "prod")).Out);
    }

    [Fact]
    public async Task Ccctl_ImportTwice_CreatesNoNewVersions_AndAuditVerifyDetectsEdits()
    {
        await using var cluster = await TestCluster.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"cc-import-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{\"svc\": {\"url\": \"http://x\", \"retries\": 3}}");
        try
        {
            Assert.Contains("2 written", (await CcctlAsync(cluster, "import", file)).Out);
            Assert.Equal((await cluster[0].Http.GetJsonAsync("/config/svc.url")).Body!["revision"]!.GetValue<long>(), (await cluster[0].Http.GetJsonAsync("/config/svc.retries")).Body!["revision"]!.GetValue<long>());
            Assert.Contains("0 written, 2 unchanged", (await CcctlAsync(cluster, "import", file)).Out);
            var export = await CcctlAsync(cluster, "export", "svc.", "--format", "env");
            Assert.Contains("SVC_RETRIES=3", export.Out);

            var audit = Path.Combine(cluster[0].DataDirectory, "audit", "audit.jsonl");
            var secretFile = Path.Combine(cluster[0].DataDirectory, "cluster.secret");
            await cluster[0].Http.GetJsonAsync("/config/svc.url");
            Assert.Equal(0, (await CcctlAsync(cluster, "audit", "verify", audit, "--cluster-secret-file", secretFile)).Code);
            var lines = await File.ReadAllLinesAsync(audit);
            var edited = Array.FindIndex(lines, static l => l.Contains("\"allow\"", StringComparison.Ordinal));
            Assert.True(edited >= 0, "an allowed request is on the audit record");
            lines[edited] = lines[edited].Replace("\"allow\"", "\"deny\"", StringComparison.Ordinal);
            await File.WriteAllLinesAsync(audit, lines);
            var verdict = await CcctlAsync(cluster, "audit", "verify", audit, "--cluster-secret-file", secretFile);
            Assert.NotEqual(0, verdict.Code);
            Assert.Contains($"line {edited + 1}", verdict.Err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task CcctlSnapshotRestore_WithoutTheServerBinary_PrintsTheCommandToRun()
    {
        var target = Path.Combine(Path.GetTempPath(), $"cc-restore-{Guid.NewGuid():N}");
        var missing = Path.Combine(Path.GetTempPath(), $"cc-none-{Guid.NewGuid():N}", "ConfigCluster.Server.dll");

        var (code, _, err) = await Ccctl.RunWithAsync(null, new Dictionary<string, string> { ["CONFIGCLUSTER_SERVER"] = missing }, "snapshot", "restore", "backup.snap", "--data-dir", target);

        Assert.Equal(1, code);
        Assert.Contains($"dotnet {missing} restore backup.snap --data-dir {target}", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
    }
}
