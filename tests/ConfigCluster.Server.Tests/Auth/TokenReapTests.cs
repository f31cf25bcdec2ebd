using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>Expired and revoked tokens are removed through the log (a reap judged by the log clock), from every node alike.</summary>
public sealed class TokenReapTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ExpiredToken_PastTheReapGrace_DisappearsFromEveryNodeWhileALiveOneStays()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--token-reap-grace", "1s"]);
        var admin = cluster[0].Http;
        var shortLived = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"reap-short\", \"policies\": [], \"ttl\": \"2s\"}");
        var longLived = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"reap-long\", \"policies\": [], \"ttl\": \"1h\"}");
        Assert.Equal(HttpStatusCode.OK, shortLived.Status);
        Assert.Equal(HttpStatusCode.OK, longLived.Status);
        var shortAccessor = shortLived.Body!["accessor"]!.GetValue<string>();
        var longAccessor = longLived.Body!["accessor"]!.GetValue<string>();

        static async Task<List<string>> AccessorsOnAsync(NodeProcess node)
        {
            var (_, body) = await node.Http.GetJsonAsync("/acl/tokens");
            return [.. body!["tokens"]!.AsArray().Select(static t => t!["accessor"]!.GetValue<string>())];
        }

        // Every node holds both at first.
        await Eventually.WaitAsync(async () =>
        {
            foreach (var node in cluster.Nodes)
            {
                var accessors = await AccessorsOnAsync(node);
                if (!accessors.Contains(shortAccessor) || !accessors.Contains(longAccessor))
                    return false;
            }

            return true;
        }, Timeout, "both tokens on every node");

        await Eventually.WaitAsync(async () =>
        {
            foreach (var node in cluster.Nodes)
            {
                if ((await AccessorsOnAsync(node)).Contains(shortAccessor))
                    return false;
            }

            return true;
        }, Timeout, "the expired token to be removed from every node's token table");

        foreach (var node in cluster.Nodes)
        {
            Assert.Contains(longAccessor, await AccessorsOnAsync(node));
            using var reaped = node.ClientWith(shortLived.Body["token"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.Unauthorized, (await reaped.GetJsonAsync("/acl/tokens")).Status);
            using var live = node.ClientWith(longLived.Body["token"]!.GetValue<string>());
            Assert.NotEqual(HttpStatusCode.Unauthorized, (await live.GetJsonAsync("/config/reap.none")).Status);
        }

        // The removal went through the log: every node holds the same state (digest of all tables).
        await cluster.WaitForConvergenceAsync(Timeout);
        Assert.Contains(cluster.Nodes, n => n.Log.Contains("Removed 1 tokens expired or revoked longer than the reap grace", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RevokedToken_PastTheReapGrace_DisappearsFromEveryNode_WhileAnUnrevokedOneStays()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--token-reap-grace", "1s"]);
        var admin = cluster[0].Http;
        var revoked = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"reap-revoked\", \"policies\": []}");
        var kept = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"reap-kept\", \"policies\": []}");
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        Assert.Equal(HttpStatusCode.OK, kept.Status);
        var revokedAccessor = revoked.Body!["accessor"]!.GetValue<string>();
        var keptAccessor = kept.Body!["accessor"]!.GetValue<string>();

        // Revoked through a follower (it forwards); the token never had an expiry.
        var follower = cluster.Nodes.First(n => n != cluster[0]);
        Assert.Equal(HttpStatusCode.OK, (await follower.Http.SendAsync(HttpMethod.Delete, "/acl/tokens/" + revokedAccessor, null)).Status);

        await Eventually.WaitAsync(async () =>
        {
            foreach (var node in cluster.Nodes)
            {
                var (_, body) = await node.Http.GetJsonAsync("/acl/tokens");
                var accessors = body!["tokens"]!.AsArray().Select(static t => t!["accessor"]!.GetValue<string>()).ToList();
                if (accessors.Contains(revokedAccessor) || !accessors.Contains(keptAccessor))
                    return false;
            }

            return true;
        }, Timeout, "the revoked token to be removed from every node's token table, the other kept");

        foreach (var node in cluster.Nodes)
        {
            using var gone = node.ClientWith(revoked.Body["token"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.Unauthorized, (await gone.GetJsonAsync("/config/reap.none")).Status);
            using var live = node.ClientWith(kept.Body["token"]!.GetValue<string>());
            Assert.NotEqual(HttpStatusCode.Unauthorized, (await live.GetJsonAsync("/config/reap.none")).Status);
        }

        await cluster.WaitForConvergenceAsync(Timeout);
        Assert.Contains(cluster.Nodes, n => n.Log.Contains("Removed 1 tokens expired or revoked longer than the reap grace", StringComparison.Ordinal));
    }
}
