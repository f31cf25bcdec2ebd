using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Losing a majority for good (README "Losing a majority"): two of three nodes are wiped, the
/// survivor restarts with <c>--force-new-cluster</c> as a one-member cluster with its own store and
/// log, two fresh nodes join it, and every acknowledged write is there with the digests agreeing.
/// </summary>
public sealed class ForceNewClusterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ForceNewCluster_FromTheSurvivorOfAWipedMajority_FreshNodesJoinWithEveryAcknowledgedWrite()
    {
        await using var cluster = await TestCluster.StartAsync();
        var acknowledged = new ConcurrentDictionary<string, long>();
        await Task.WhenAll(Enumerable.Range(0, 3).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                var key = $"fnc.w{writer}.k{i % 7}";
                var (status, _) = await cluster[writer].Http.PutValueAsync(key, i);
                if (status == HttpStatusCode.OK)
                    acknowledged[key] = i; // one writer per key, in order: the last acknowledged value is the current one
            }
        })));
        Assert.Equal(21, acknowledged.Count);
        await cluster.WaitForConvergenceAsync(Timeout);

        const int survivor = 0;
        await cluster.WipeNodeAsync(1);
        await cluster.WipeNodeAsync(2);
        var lost = await cluster[survivor].Http.PutValueAsync("fnc.no-quorum", 1);
        Assert.NotEqual(HttpStatusCode.OK, lost.Status);

        // The survivor, killed and restarted with the flag, is a one-member cluster and takes writes.
        await cluster.KillNodeAsync(survivor);
        cluster[survivor].ExtraArguments = ["--force-new-cluster"];
        await cluster.StartNodeAsync(survivor);
        Assert.Equal(survivor, await cluster.WaitForLeaderAsync(Timeout));
        Assert.Contains("--force-new-cluster: this node", cluster[survivor].Log, StringComparison.Ordinal);
        await cluster[survivor].Http.MustPutAsync("fnc.after", "forced");
        var (_, members) = await cluster[survivor].Http.GetJsonAsync("/cluster/members");
        Assert.Equal(["n1"], MemberIds(members));

        // Two fresh nodes join it and catch up.
        foreach (var _ in new[] { 1, 2 })
        {
            var joiner = await cluster.StartJoiningNodeAsync();
            var (status, body) = await cluster[survivor].Http.SendAsync(HttpMethod.Post, "/cluster/members", new JsonObject { ["raft"] = cluster[joiner].RaftEndPoint }.ToJsonString());
            Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        }

        await cluster.WaitForConvergenceAsync(Timeout);
        await Eventually.WaitAsync(async () => MemberIds((await cluster[4].Http.GetJsonAsync("/cluster/members")).Body).SequenceEqual(["n1", "n4", "n5"]),
            Timeout, "the last joiner to list n1, n4 and n5 as the members");
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
        {
            foreach (var (key, value) in acknowledged)
            {
                var (status, body) = await node.Http.GetJsonAsync($"/config/{key}?consistency=serializable");
                Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} {key}: {(int)status}");
                Assert.Equal(value, body!["value"]!.GetValue<long>());
            }

            Assert.Equal("forced", (await node.Http.GetJsonAsync("/config/fnc.after?consistency=serializable")).Body!["value"]!.GetValue<string>());
        }

        // The write made without a quorum was never acknowledged, so either outcome is allowed (the
        // survivor may have appended it before it lost its followers, and then committed it alone),
        // but every member agrees on it.
        var noQuorum = new List<HttpStatusCode>();
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
            noQuorum.Add((await node.Http.GetJsonAsync("/config/fnc.no-quorum?consistency=serializable")).Status);
        Assert.Single(noQuorum.Distinct());
        Assert.Contains(noQuorum[0], new[] { HttpStatusCode.OK, HttpStatusCode.NotFound });

        // The flag acts once per data directory: left set, a restart keeps the three members.
        await cluster.RestartNodeAsync(survivor);
        Assert.Contains("--force-new-cluster is ignored", cluster[survivor].Log, StringComparison.Ordinal);
        await cluster.WaitForLeaderAsync(Timeout);
        await cluster[3].Http.MustPutAsync("fnc.after", "three members");
        await cluster.WaitForConvergenceAsync(Timeout);
        Assert.Equal(["n1", "n4", "n5"], MemberIds((await cluster[survivor].Http.GetJsonAsync("/cluster/members")).Body));
    }

    private static List<string> MemberIds(JsonNode? body) => [.. body!["members"]!.AsArray().Select(static m => m!["nodeId"]!.GetValue<string>()).Order()];
}
