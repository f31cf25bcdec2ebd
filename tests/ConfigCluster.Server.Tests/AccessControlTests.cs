using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests;

/// <summary>Tokens, policies, enforcement on every edge, and the tamper-evident audit log.</summary>
public sealed class AccessControlTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<string> CreateAuthServiceTokenAsync(TestCluster cluster)
    {
        var admin = cluster[0].Http;
        var (policyStatus, _) = await admin.SendAsync(HttpMethod.Put, "/acl/policies/auth-read",
            "{\"rules\": [{\"path\": \"auth.*\", \"namespace\": \"*\", \"environment\": \"*\", \"capabilities\": [\"read\", \"list\", \"watch\"]}]}");
        Assert.Equal(HttpStatusCode.OK, policyStatus);
        var (status, created) = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"auth-svc\", \"policies\": [\"auth-read\"], \"ttl\": \"1h\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        var token = created!["token"]!.GetValue<string>();

        // The creating node answers once it has applied the token; the others follow the log.
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
        {
            using var client = ClientFor(node, token);
            await Eventually.WaitAsync(async () => (await client.GetJsonAsync("/config?limit=1&consistency=serializable")).Status != HttpStatusCode.Unauthorized, Timeout, $"the new token to reach {node.NodeId}");
        }

        return token;
    }

    private static HttpClient ClientFor(NodeProcess node, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(node.HttpUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task ServiceToken_ReadsItsKeys_IsForbiddenElsewhere_AndCannotWrite()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster[0].Http.MustPutAsync("auth.url", "https://auth");
        await cluster[0].Http.MustPutAsync("billing.key", "k");
        var token = await CreateAuthServiceTokenAsync(cluster);
        using var service = ClientFor(cluster[1], token);

        var (readStatus, read) = await service.GetJsonAsync("/config/auth.url");
        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.Equal("https://auth", read!["value"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await service.GetJsonAsync("/config/billing.key")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await service.PutValueAsync("auth.url", "evil")).Status);
        var (_, list) = await service.GetJsonAsync("/config");
        Assert.Equal(["auth.url"], list!["items"]!.AsArray().Select(static i => i!["key"]!.GetValue<string>()));

        using var channel = GrpcChannel.ForAddress(cluster[2].GrpcUrl);
        var kv = new KV.KVClient(channel);
        var headers = new Metadata { { "authorization", $"Bearer {token}" } };
        Assert.Equal("\"https://auth\"", (await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "auth.url" } }, headers)).Kv.ValueJson);
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "billing.key" } }, headers));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "auth.url" } }));
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);

        // The author of a version is the token name.
        var (_, history) = await cluster[0].Http.GetJsonAsync("/config/history/auth.url");
        Assert.Equal("root", history!["versions"]!.AsArray()[0]!["author"]!.GetValue<string>());
    }

    [Fact]
    public async Task MissingAndUnknownTokens_Get401_AndAreAudited_WithoutTheRawToken()
    {
        await using var cluster = await TestCluster.StartAsync();
        var node = cluster[1];
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Anonymous.GetJsonAsync("/config/x")).Status);
        using var unknown = ClientFor(node, "cc_not_a_real_token_but_long_enough");
        Assert.Equal(HttpStatusCode.Unauthorized, (await unknown.GetJsonAsync("/config/x")).Status);
        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetJsonAsync("/health/live")).Status);
        Assert.Equal(HttpStatusCode.OK, (await node.Anonymous.GetJsonAsync("/cluster/status")).Status);

        var token = await CreateAuthServiceTokenAsync(cluster);
        using var service = ClientFor(node, token);
        await service.GetJsonAsync("/config/auth.missing");

        using var response = await node.Http.GetAsync("/audit");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => JsonNode.Parse(l)!).ToList();
        Assert.True(lines.Count(l => l["decision"]!.GetValue<string>() == "unauthenticated" && l["key"]?.GetValue<string>() == "x") >= 2);
        Assert.Contains(lines, l => l["tokenName"]?.GetValue<string>() == "auth-svc" && l["key"]?.GetValue<string>() == "auth.missing");
        var auditText = await File.ReadAllTextAsync(Path.Combine(node.DataDirectory, "audit", "audit.jsonl"));
        foreach (var secret in new[] { token, NodeProcess.AdminToken, "cc_not_a_real_token_but_long_enough" })
        {
            Assert.DoesNotContain(secret, auditText);
            Assert.All(cluster.Nodes, n => Assert.DoesNotContain(secret, n.Log));
        }
    }

    [Fact]
    public async Task RevokedToken_StopsWorkingOnEveryNode_WithinASecond()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster[0].Http.MustPutAsync("auth.url", 1);
        var token = await CreateAuthServiceTokenAsync(cluster);
        var clients = cluster.Nodes.Select(n => ClientFor(n, token)).ToList();
        try
        {
            foreach (var client in clients)
                await Eventually.WaitAsync(async () => (await client.GetJsonAsync("/config/auth.url")).Status == HttpStatusCode.OK, Timeout, "the new token to work");
            var (_, tokens) = await cluster[0].Http.GetJsonAsync("/acl/tokens");
            var accessor = tokens!["tokens"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "auth-svc")!["accessor"]!.GetValue<string>();
            Assert.DoesNotContain(token, tokens.ToJsonString());

            Assert.Equal(HttpStatusCode.OK, (await cluster[2].Http.SendAsync(HttpMethod.Delete, $"/acl/tokens/{accessor}")).Status);
            var revokedAt = DateTime.UtcNow;
            foreach (var client in clients)
                await Eventually.WaitAsync(async () => (await client.GetJsonAsync("/config/auth.url")).Status == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1), "the revoked token to be refused");
            Assert.True(DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(2));
        }
        finally
        {
            clients.ForEach(static c => c.Dispose());
        }
    }

    [Fact]
    public async Task AuditVerify_DetectsAnEditedLine()
    {
        await using var cluster = await TestCluster.StartAsync();
        var node = cluster[0];
        for (var i = 0; i < 5; i++)
            await node.Http.GetJsonAsync($"/config/k{i}");
        Assert.True((await node.Http.GetJsonAsync("/audit/verify")).Body!["ok"]!.GetValue<bool>());

        var file = Path.Combine(node.DataDirectory, "audit", "audit.jsonl");
        var lines = await File.ReadAllLinesAsync(file);
        var edited = Array.FindIndex(lines, static l => l.Contains("\"k2\"", StringComparison.Ordinal));
        lines[edited] = lines[edited].Replace("\"k2\"", "\"k9\"", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines);

        var verdict = (await node.Http.GetJsonAsync("/audit/verify")).Body!;
        Assert.False(verdict["ok"]!.GetValue<bool>());
        Assert.Equal(edited + 1, verdict["firstBadLine"]!.GetValue<int>());
    }

    [Fact]
    public async Task WatchByServiceToken_OnEverything_ReceivesOnlyItsKeys()
    {
        await using var cluster = await TestCluster.StartAsync();
        var token = await CreateAuthServiceTokenAsync(cluster);
        var start = (await cluster[0].Http.MustPutAsync("setup", 0))["revision"]!.GetValue<long>();
        await cluster[0].Http.MustPutAsync("billing.key", 1);
        await cluster[0].Http.MustPutAsync("auth.url", 2);
        await cluster[0].Http.MustPutAsync("billing.other", 3);
        await cluster[0].Http.MustPutAsync("auth.timeout", 4);

        using var channel = GrpcChannel.ForAddress(cluster[1].GrpcUrl);
        using var cts = new CancellationTokenSource(Timeout);
        using var call = new Watch.WatchClient(channel).Watch(new WatchRequest { Prefix = "", StartRevision = start }, new Metadata { { "authorization", $"Bearer {token}" } }, cancellationToken: cts.Token);
        var keys = new List<string>();
        while (keys.Count < 2 && await call.ResponseStream.MoveNext(cts.Token))
            keys.AddRange(call.ResponseStream.Current.Events.Select(static e => e.Path.Key));
        Assert.Equal(["auth.url", "auth.timeout"], keys);
    }
}
