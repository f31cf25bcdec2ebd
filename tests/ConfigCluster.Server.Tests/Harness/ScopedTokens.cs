using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Grpc.Core;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>One rule of a test policy: capabilities on keys matching <see cref="Path"/> in one environment pattern.</summary>
internal sealed record TestRule(string Path, string Environment, params string[] Capabilities);

/// <summary>Tokens limited by a policy, made by the admin token, usable on every running node.</summary>
internal static class ScopedTokens
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(30);

    /// <summary>Creates policy and token <paramref name="name"/> and waits until every running node accepts the token.</summary>
    public static async Task<string> CreateTokenAsync(this TestCluster cluster, string name, params TestRule[] rules)
    {
        var policy = new JsonObject
        {
            ["rules"] = new JsonArray([.. rules.Select(static r => (JsonNode)new JsonObject
            {
                ["path"] = r.Path,
                ["namespace"] = "*",
                ["environment"] = r.Environment,
                ["capabilities"] = new JsonArray([.. r.Capabilities.Select(static c => (JsonNode)JsonValue.Create(c))]),
            })]),
        };
        var (policyStatus, policyBody) = await cluster[0].Http.SendAsync(HttpMethod.Put, $"/acl/policies/{name}", policy.ToJsonString());
        Assert.True(policyStatus == HttpStatusCode.OK, $"policy {name}: {(int)policyStatus} {policyBody?.ToJsonString()}");
        var request = new JsonObject { ["name"] = name, ["policies"] = new JsonArray(JsonValue.Create(name)), ["ttl"] = "1h" };
        var (status, created) = await cluster[0].Http.SendAsync(HttpMethod.Post, "/acl/tokens", request.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var token = created!["token"]!.GetValue<string>();
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
        {
            using var client = node.ClientWith(token);
            await Eventually.WaitAsync(async () => (await client.GetJsonAsync("/config?limit=1&consistency=serializable")).Status != HttpStatusCode.Unauthorized,
                Propagation, $"token {name} to reach {node.NodeId}");
        }

        return token;
    }

    /// <summary>An HTTP client of <paramref name="node"/> that sends <paramref name="token"/>.</summary>
    public static HttpClient ClientWith(this NodeProcess node, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(node.HttpUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>gRPC call headers that carry <paramref name="token"/>.</summary>
    public static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };
}
