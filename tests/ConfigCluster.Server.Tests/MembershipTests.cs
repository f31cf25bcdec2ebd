using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Membership changes at runtime on real node processes: join, vote, persist, remove.</summary>
public sealed class MembershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static IReadOnlyList<string> MemberIds(JsonNode? body) => [.. body!["members"]!.AsArray().Select(static m => m!["nodeId"]!.GetValue<string>()).Order()];

    [Fact]
    public async Task JoinedNode_CatchesUp_Votes_SurvivesRestart_AndIsRemoved()
    {
        await using var cluster = await TestCluster.StartAsync();
        for (var i = 0; i < 5; i++)
            await cluster[0].Http.MustPutAsync($"before.k{i}", i);
        var follower = cluster[await cluster.FollowerAsync()];
        var joiner = await cluster.StartJoiningNodeAsync(); // waits in standby until it is added

        var (status, body) = await follower.Http.SendAsync(HttpMethod.Post, "/cluster/members", new JsonObject { ["raft"] = cluster[joiner].RaftEndPoint }.ToJsonString());

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        Assert.Equal(["n1", "n2", "n3", "n4"], MemberIds(body));
        Assert.Equal(4, (await cluster[joiner].Http.GetJsonAsync("/config/before.k4?consistency=serializable")).Body!["value"]!.GetValue<int>());

        // With four members a write needs three: with one original follower down, it only commits if the new node votes.
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var down = Enumerable.Range(0, 3).First(i => i != leader);
        await cluster.KillNodeAsync(down);
        await cluster[leader].Http.MustPutAsync("after.join", 1);
        await cluster.StartNodeAsync(down);

        // A restart keeps the current membership (members.json), not the initial --members.
        await cluster.KillNodeAsync(joiner);
        await cluster.StartNodeAsync(joiner);
        await cluster.WaitForLeaderAsync(Timeout);
        await cluster.WaitForConvergenceAsync(Timeout);
        Assert.Equal(["n1", "n2", "n3", "n4"], MemberIds((await cluster[joiner].Http.GetJsonAsync("/cluster/members")).Body));

        var removed = await Ccctl.RunAsync(cluster, "member", "remove", "n4");
        Assert.True(removed.Code == 0, removed.Err);
        foreach (var node in cluster.Nodes.Take(3))
            await Eventually.WaitAsync(async () => MemberIds((await node.Http.GetJsonAsync("/cluster/members")).Body).Count == 3, Timeout, $"{node.NodeId} to drop n4");
        await cluster.KillNodeAsync(joiner);
        await cluster[0].Http.MustPutAsync("after.remove", 1);
        Assert.Contains("n3", (await Ccctl.RunAsync(cluster, "member", "list")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberChanges_ThatCannotWork_AreRefusedAndChangeNothing()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var followers = Enumerable.Range(0, 3).Where(i => i != leader).ToList();
        await cluster.KillNodeAsync(followers[0]);
        await Eventually.WaitAsync(async () =>
        {
            var (_, members) = await cluster[leader].Http.GetJsonAsync("/cluster/members");
            return members!["members"]!.AsArray().Any(m => m!["nodeId"]!.GetValue<string>() == cluster[followers[0]].NodeId && !m["healthy"]!.GetValue<bool>());
        }, Timeout, "the leader to see the killed follower as unreachable");

        var (quorum, quorumBody) = await cluster[leader].Http.SendAsync(HttpMethod.Delete, $"/cluster/members/{cluster[followers[1]].NodeId}");
        var (unknown, _) = await cluster[leader].Http.SendAsync(HttpMethod.Delete, "/cluster/members/no-such-node");
        var (bad, badBody) = await cluster[leader].Http.SendAsync(HttpMethod.Post, "/cluster/members", "{\"raft\": \"not an endpoint\"}");
        var (unreachable, unreachableBody) = await cluster[leader].Http.SendAsync(HttpMethod.Post, "/cluster/members", "{\"raft\": \"127.0.0.1:9\"}");

        Assert.Equal(HttpStatusCode.Conflict, quorum);
        Assert.Contains("majority", quorumBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("HOST:PORT", badBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, unreachable);
        Assert.Contains("--join", unreachableBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3, MemberIds((await cluster[leader].Http.GetJsonAsync("/cluster/members")).Body).Count);
        await cluster[leader].Http.MustPutAsync("still.writable", 1);
    }

    [Fact]
    public async Task ThreeNodes_GrowToFive_UnderWriteLoad_WithoutAFailedRequest()
    {
        await using var cluster = await TestCluster.StartAsync();
        for (var i = 0; i < 10; i++)
            await cluster[0].Http.MustPutAsync($"before.k{i}", i);
        var options = new ConfigCluster.Client.ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        foreach (var node in cluster.Nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        using var client = new ConfigCluster.Client.ConfigClusterClient(options);
        var acknowledged = 0L;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await client.PutAsync($"load.k{i % 20}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Interlocked.Increment(ref acknowledged);
                }
                catch (ConfigCluster.Client.ConfigClusterException e)
                {
                    failures.Enqueue(e.Message);
                }
            }
        });

        var joined = new List<int>();
        for (var added = 0; added < 2; added++)
        {
            var before = Interlocked.Read(ref acknowledged);
            var joiner = await cluster.StartJoiningNodeAsync();
            var (status, body) = await cluster[0].Http.SendAsync(HttpMethod.Post, "/cluster/members", new JsonObject { ["raft"] = cluster[joiner].RaftEndPoint }.ToJsonString());
            Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
            Assert.Equal(4 + added, MemberIds(body).Count);
            joined.Add(joiner);
            await Eventually.WaitAsync(() => Interlocked.Read(ref acknowledged) > before + 20, Timeout, "writes to go on while the member joins");
        }

        await stop.CancelAsync();
        await writer;
        Assert.Empty(failures);
        await cluster.WaitForLeaderAsync(Timeout);
        await cluster.WaitForConvergenceAsync(Timeout);
        foreach (var node in cluster.Nodes)
            Assert.Equal(["n1", "n2", "n3", "n4", "n5"], MemberIds((await node.Http.GetJsonAsync("/cluster/members")).Body));
        foreach (var index in joined)
        {
            for (var i = 0; i < 10; i++)
                Assert.Equal(i, (await cluster[index].Http.GetJsonAsync($"/config/before.k{i}")).Body!["value"]!.GetValue<int>()); // linearizable
        }
    }

    [Fact]
    public async Task KilledMember_RemovedAndReplacedByAFreshNode_LeavesAHealthyThreeNodeCluster()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster[0].Http.MustPutAsync("before.replace", 1);
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var victim = Enumerable.Range(0, 3).First(i => i != leader);
        await cluster.KillNodeAsync(victim);

        var (removed, removedBody) = await cluster[leader].Http.SendAsync(HttpMethod.Delete, $"/cluster/members/{cluster[victim].NodeId}");
        Assert.True(removed == HttpStatusCode.OK, removedBody?.ToJsonString());
        Assert.Equal(2, MemberIds(removedBody).Count);
        var fresh = await cluster.StartJoiningNodeAsync();
        var (added, addedBody) = await cluster[leader].Http.SendAsync(HttpMethod.Post, "/cluster/members", new JsonObject { ["raft"] = cluster[fresh].RaftEndPoint }.ToJsonString());
        Assert.True(added == HttpStatusCode.OK, addedBody?.ToJsonString());

        await cluster[leader].Http.MustPutAsync("after.replace", 2);
        await cluster.WaitForLeaderAsync(Timeout); // the fresh node knows the leader too
        var (status, before) = await cluster[fresh].Http.GetJsonAsync("/config/before.replace");
        Assert.True(status == HttpStatusCode.OK, before?.ToJsonString());
        Assert.Equal(1, before!["value"]!.GetValue<int>());
        Assert.Equal(2, (await cluster[fresh].Http.GetJsonAsync("/config/after.replace")).Body!["value"]!.GetValue<int>());
        await Eventually.WaitAsync(async () =>
        {
            var members = (await cluster[leader].Http.GetJsonAsync("/cluster/members")).Body!["members"]!.AsArray();
            return members.Count == 3 && members.All(static m => m!["healthy"]!.GetValue<bool>());
        }, Timeout, "three healthy members");
    }
}
