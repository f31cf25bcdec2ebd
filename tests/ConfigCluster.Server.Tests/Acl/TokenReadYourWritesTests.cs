using System.Net;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests.Acl;

/// <summary>
/// A token the cluster has acknowledged works at once on every node, as a value written does:
/// a node that has not applied the token's entry yet looks the token up again after a read
/// barrier instead of answering 401 (a machine login answered by one node and used on another
/// was refused, and the SDK logged in a second time).
/// </summary>
public sealed class TokenReadYourWritesTests
{
    private const int Rounds = 100;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TokenMadeThroughOneFollower_WorksAtOnceOnEveryNode_OverHttpAndGrpc_AndUnknownTokensAreStillRefused()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var followers = Enumerable.Range(0, 3).Where(i => i != leader).ToArray();
        var maker = cluster[followers[0]];
        var (policy, policyBody) = await maker.Http.SendAsync(HttpMethod.Put, "/acl/policies/ryw", "{\"rules\": [{\"path\": \"ryw.*\", \"namespace\": \"*\", \"environment\": \"*\", \"capabilities\": [\"read\"]}]}");
        Assert.True(policy == HttpStatusCode.OK, $"{(int)policy} {policyBody?.ToJsonString()}");
        await maker.Http.MustPutAsync("ryw.key", 7);

        var clients = cluster.Nodes.Select(static n => new HttpClient { BaseAddress = new Uri(n.HttpUrl), Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        using var channel = GrpcChannel.ForAddress(cluster[followers[1]].GrpcUrl);
        var kv = new KV.KVClient(channel);
        foreach (var client in clients)
            await client.GetAsync("/health/live");

        // Each round: a token made through one follower, used at once on the other follower and the leader.
        var refusals = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var (status, created) = await maker.Http.SendAsync(HttpMethod.Post, "/acl/tokens", $"{{\"name\": \"ryw-{round}\", \"policies\": [\"ryw\"], \"ttl\": \"1h\"}}");
            Assert.True(status == HttpStatusCode.OK, $"round {round}: making the token answered {(int)status} {created?.ToJsonString()}");
            var token = created!["token"]!.GetValue<string>();
            foreach (var index in new[] { followers[1], leader })
            {
                // Over a connection already open, so the use follows the answer by well under a heartbeat.
                using var request = new HttpRequestMessage(HttpMethod.Get, "/config/ryw.key?consistency=serializable");
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                using var response = await clients[index].SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                    refusals.Add($"round {round}, HTTP on {cluster[index].NodeId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            try
            {
                await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "ryw.key" }, Consistency = Consistency.Serializable },
                    ScopedTokens.Bearer(token), deadline: DateTime.UtcNow.AddSeconds(30));
            }
            catch (RpcException e)
            {
                refusals.Add($"round {round}, gRPC on {cluster[followers[1]].NodeId}: {e.StatusCode} {e.Status.Detail}");
            }
        }

        foreach (var client in clients)
            client.Dispose();
        Assert.True(refusals.Count == 0, $"{refusals.Count} uses of a just-acknowledged token were refused:\n{string.Join('\n', refusals)}");

        // A token no one made is still refused on every node, after the barrier too.
        foreach (var node in cluster.Nodes)
        {
            using var client = node.ClientWith(AccessCluster.UnknownToken);
            var (status, body) = await client.GetJsonAsync("/config/ryw.key?consistency=serializable");
            Assert.True(status == HttpStatusCode.Unauthorized, $"{node.NodeId}: an unknown token answered {(int)status} {body?.ToJsonString()}");
        }
    }
}
