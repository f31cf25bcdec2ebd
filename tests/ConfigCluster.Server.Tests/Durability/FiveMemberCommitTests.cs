using System.Net;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Durability;

/// <summary>
/// Five real members: DotNext 6.12's leader commits the median of the first majority of answers,
/// which fewer than a majority may hold from 4 members on, so the leader commits only what a
/// majority reported after a durable append (MajorityCommitRule).
/// </summary>
public sealed class FiveMemberCommitTests
{
    private const string Withhold = "CONFIGCLUSTER_TEST_WITHHOLD_DURABLE_REPORTS";

    [Fact]
    public async Task FiveMembers_WritesThroughEveryNodeCommit_AndSurviveTheLeadersKill()
    {
        await using var cluster = await TestCluster.StartAsync(count: 5);
        for (var i = 0; i < 20; i++)
            await PutAsync(cluster[i % 5], $"five.k{i}", i);
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        Assert.Contains("followers report each durable append", cluster[leader].Log, StringComparison.Ordinal);

        await cluster.KillNodeAsync(leader);
        var successor = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        for (var i = 20; i < 30; i++)
            await PutAsync(cluster[(leader + 1 + i) % 5 == leader ? successor : (leader + 1 + i) % 5], $"five.k{i}", i);
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
        {
            for (var i = 0; i < 30; i++)
            {
                var (status, body) = await node.Http.GetJsonAsync($"/config/five.k{i}");
                Assert.True(status == HttpStatusCode.OK, $"{node.NodeId}: five.k{i} answered {(int)status}");
                Assert.Equal(i, body!["value"]!.GetValue<int>());
            }
        }
    }

    // A write answered "ambiguous" (a follower lost sight of the leader for a moment: 5 nodes beside
    // the rest of the suite on 2 cores, CI sim 2026-12-07) or "unavailable" is sent again, as the SDK
    // does; what this test checks is that every write commits and survives the kill.
    private static async Task PutAsync(NodeProcess node, string key, int value)
    {
        var answers = new List<string>();
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                var (status, body) = await node.Http.PutValueAsync(key, value);
                answers.Add($"{(int)status} {body?.ToJsonString()}");
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable, string.Join("; ", answers));
                return status == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(60), $"PUT {key} through {node.NodeId} to be applied");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; answers: {string.Join("; ", answers)}\n{node.NodeId} log:\n{string.Join('\n', node.Log.Split('\n').TakeLast(60))}", e);
        }
    }

    // n4 and n5 append, sync and acknowledge AppendEntries as usual but report nothing. With the
    // two other followers paused, the leader's replication round has three answers holding the
    // write (itself, n4, n5), which DotNext alone would commit; the leader must not, because only
    // it reported. Once the paused followers are back and report, the write commits.
    [Fact]
    public async Task FiveMembers_LeaderCommitsOnlyWhatAMajorityReported()
    {
        await using var cluster = await TestCluster.StartAsync(count: 5, arguments: ["--write-timeout", "3s"], beforeFirstStart: node =>
        {
            if (node.NodeId is "n4" or "n5")
                node.Environment = new Dictionary<string, string> { [Withhold] = "1" };
            return Task.CompletedTask;
        });
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        if (leader >= 3)
        {
            var (moved, body) = await cluster[leader].Http.SendAsync(HttpMethod.Post, "/cluster/leader/transfer?to=n1");
            Assert.True(moved == HttpStatusCode.OK, body?.ToJsonString());
            await Eventually.WaitAsync(async () => (leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout)) < 3, TestCluster.StartTimeout, "leadership on n1-n3");
        }

        Assert.Contains("TEST BUILD SWITCH: CONFIGCLUSTER_TEST_WITHHOLD_DURABLE_REPORTS", cluster[3].Log, StringComparison.Ordinal);
        await cluster[leader].Http.MustPutAsync("five.before", 1); // the two reporting followers make the majority
        var paused = Enumerable.Range(0, 3).Where(i => i != leader).ToArray();
        foreach (var index in paused)
            await cluster[index].PauseAsync();
        try
        {
            var (status, answer) = await cluster[leader].Http.PutValueAsync("five.unreported", 2);
            Assert.True(status == HttpStatusCode.GatewayTimeout, $"the write answered {(int)status}: {answer?.ToJsonString()}");

            // n4 and n5 hold it: DotNext's round had its majority of answers.
            var leaderStatus = await TestCluster.StatusAsync(cluster[leader]);
            var last = leaderStatus["lastLogIndex"]!.GetValue<long>();
            foreach (var index in new[] { 3, 4 })
            {
                await Eventually.WaitAsync(async () => (await TestCluster.StatusAsync(cluster[index]))["lastLogIndex"]!.GetValue<long>() >= last,
                    TimeSpan.FromSeconds(30), $"{cluster[index].NodeId} to hold the leader's last entry");
            }

            Assert.True(leaderStatus["commitIndex"]!.GetValue<long>() < last, $"the leader committed its last entry with one report: {leaderStatus.ToJsonString()}");
        }
        finally
        {
            foreach (var index in paused)
                await cluster[index].ResumeAsync();
        }

        await Eventually.WaitAsync(async () =>
        {
            var (status, body) = await cluster[leader].Http.GetJsonAsync("/config/five.unreported");
            return status == HttpStatusCode.OK && body!["value"]!.GetValue<int>() == 2;
        }, TimeSpan.FromSeconds(60), "the write to commit once a majority reported it");
    }
}
