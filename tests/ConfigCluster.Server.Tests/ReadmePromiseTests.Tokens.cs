using System.Net;
using System.Text;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>README "Access control and audit": token TTLs, the generated bootstrap token, deny rules; "/metrics needs admin".</summary>
public sealed partial class ReadmePromiseTests
{
    private const string TokenMarker = "admin token (shown once, keep it safe): ";

    [Fact]
    public async Task Token_WithAShortTtl_IsRefusedAsExpiredOnceItsTimeIsUp_WhileALongerOneKeepsWorking()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var admin = cluster[0].Http;
        await admin.MustPutAsync("ttl.k", "v");
        AssertStatus(HttpStatusCode.OK, await admin.SendAsync(HttpMethod.Put, "/acl/policies/ttl-read", "{\"rules\": [{\"path\": \"ttl.*\", \"capabilities\": [\"read\"]}]}"), "policy");

        var before = DateTimeOffset.UtcNow;
        var shortLived = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"short\", \"policies\": [\"ttl-read\"], \"ttl\": \"2s\"}");
        var after = DateTimeOffset.UtcNow;
        var longLived = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"long\", \"policies\": [\"ttl-read\"], \"ttl\": \"1h\"}");
        AssertStatus(HttpStatusCode.OK, shortLived, "short token");
        AssertStatus(HttpStatusCode.OK, longLived, "long token");

        // The answer says when it ends: two seconds after the node created it, by the log clock, which
        // runs behind real time by the time its last entry took to commit (milliseconds; more on a
        // loaded machine right after an election, when the new leader's first clock entry is entered).
        var expiresAt = shortLived.Body!["expiresAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange(expiresAt, before.AddSeconds(1), after.AddSeconds(2).AddMilliseconds(50));

        using var shortClient = cluster[0].ClientWith(shortLived.Body["token"]!.GetValue<string>());
        using var longClient = cluster[0].ClientWith(longLived.Body!["token"]!.GetValue<string>());
        await Eventually.WaitAsync(async () => (await shortClient.GetJsonAsync("/config/ttl.k")).Status == HttpStatusCode.Unauthorized, Timeout, "the 2 s token to expire");

        var refused = await shortClient.GetJsonAsync("/config/ttl.k");
        AssertStatus(HttpStatusCode.Unauthorized, refused, "expired token");
        Assert.Contains("expired", refused.Body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow >= expiresAt, "the token was refused before its expiry time");
        var (status, body) = await longClient.GetJsonAsync("/config/ttl.k");
        AssertStatus(HttpStatusCode.OK, (status, body), "the 1 h token with the same policy");
        Assert.Equal("v", body!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task FreshClusterWithoutBootstrapToken_GeneratesAnAdminToken_PrintedOnceAndStoredOnlyAsAHash()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, environment: new Dictionary<string, string> { ["CONFIGCLUSTER_BOOTSTRAP_TOKEN"] = "" }, waitForLeader: false);
        var node = cluster[0];
        string? token = null;
        await Eventually.WaitAsync(() =>
        {
            var line = node.Log.Split('\n').FirstOrDefault(static l => l.Contains(TokenMarker, StringComparison.Ordinal));
            token = line?[(line.IndexOf(TokenMarker, StringComparison.Ordinal) + TokenMarker.Length)..].Trim();
            return token is not null;
        }, TestCluster.StartTimeout, "the node to print a generated admin token");

        Assert.NotEqual(NodeProcess.AdminToken, token);
        Assert.True(token!.Length >= 43, "a 256-bit token is at least 43 characters of base64");
        using var generated = node.ClientWith(token);
        await Eventually.WaitAsync(async () => (await generated.GetJsonAsync("/acl/tokens")).Status == HttpStatusCode.OK, Timeout, "the generated token to work");
        var (_, tokens) = await generated.GetJsonAsync("/acl/tokens");
        Assert.Equal("root", tokens!["tokens"]!.AsArray().Single()!["name"]!.GetValue<string>());
        AssertStatus(HttpStatusCode.Unauthorized, await node.Http.GetJsonAsync("/config?limit=1"), "the harness's usual token, never given to this cluster");
        Assert.DoesNotContain(token, tokens.ToJsonString(), StringComparison.Ordinal);

        // A restart neither prints nor makes another token; the first one keeps working.
        // (The harness's leader wait sends the usual token, which this cluster never had: wait on the generated one.)
        await cluster.RestartNodeAsync(0);
        await Eventually.WaitAsync(async () => (await generated.GetJsonAsync("/config?limit=1")).Status == HttpStatusCode.OK, TestCluster.StartTimeout, "the token to work after the restart");
        Assert.Single(node.Log.Split('\n'), static l => l.Contains(TokenMarker, StringComparison.Ordinal));
        Assert.Single((await generated.GetJsonAsync("/acl/tokens")).Body!["tokens"]!.AsArray());

        // Only its hash is kept: no file of the node (WAL, store, audit) holds the token's text.
        await cluster.KillNodeAsync(0);
        var needle = Encoding.UTF8.GetBytes(token);
        foreach (var file in Directory.EnumerateFiles(node.DataDirectory, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.False(bytes.AsSpan().IndexOf(needle.AsSpan()) >= 0, $"{file} holds the admin token in clear");
        }
    }

    [Fact]
    public async Task DenyRules_WinOverAllowRules_InTheSameOrAnotherPolicy_AndMetricsNeedAdmin()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        await node.Http.MustPutAsync("ops.visible", 1);
        await node.Http.MustPutAsync("ops.hidden.a", 2);
        // "everything" grants every capability but admin on every key, with a deny rule listed before the allow;
        // "hide" only denies, and is named first on the token.
        AssertStatus(HttpStatusCode.OK, await node.Http.SendAsync(HttpMethod.Put, "/acl/policies/everything",
            "{\"rules\": [{\"path\": \"*\", \"environment\": \"prod\", \"capabilities\": [\"write\"], \"deny\": true},"
            + " {\"path\": \"*\", \"capabilities\": [\"read\", \"list\", \"write\", \"delete\", \"history\", \"rollback\", \"watch\"]}]}"), "policy everything");
        AssertStatus(HttpStatusCode.OK, await node.Http.SendAsync(HttpMethod.Put, "/acl/policies/hide",
            "{\"rules\": [{\"path\": \"ops.hidden*\", \"capabilities\": [\"read\", \"list\", \"write\"], \"deny\": true}]}"), "policy hide");
        var created = await node.Http.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"svc\", \"policies\": [\"hide\", \"everything\"], \"ttl\": \"1h\"}");
        AssertStatus(HttpStatusCode.OK, created, "token");
        using var svc = node.ClientWith(created.Body!["token"]!.GetValue<string>());

        Assert.Equal(1, (await svc.GetJsonAsync("/config/ops.visible")).Body!["value"]!.GetValue<int>());
        AssertStatus(HttpStatusCode.Forbidden, await svc.GetJsonAsync("/config/ops.hidden.a"), "read of a denied key");
        AssertStatus(HttpStatusCode.Forbidden, await svc.PutValueAsync("ops.hidden.a", 3), "write of a denied key");
        AssertStatus(HttpStatusCode.Forbidden, await svc.PutValueAsync("ops.visible", 3, "?env=prod"), "write denied in prod");
        AssertStatus(HttpStatusCode.OK, await svc.PutValueAsync("ops.visible", 4, "?env=staging"), "write allowed in staging");
        var (_, listed) = await svc.GetJsonAsync("/config?prefix=ops.");
        Assert.Equal(["ops.visible"], listed!["items"]!.AsArray().Select(static i => i!["key"]!.GetValue<string>()));
        Assert.Equal(2, (await node.Http.GetJsonAsync("/config/ops.hidden.a")).Body!["value"]!.GetValue<int>());
        Assert.Equal(1, (await node.Http.GetJsonAsync("/config/ops.visible?env=prod")).Body!["value"]!.GetValue<int>());

        // Every capability but admin is not enough for /metrics (without --metrics-open).
        using var metrics = await svc.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, metrics.StatusCode);
        using var adminMetrics = await node.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, adminMetrics.StatusCode);
    }
}
