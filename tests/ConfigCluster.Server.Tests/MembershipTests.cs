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
}
