using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Chaos finding of 2026-12-07 (seed 1961669444): a follower whose data directory was wiped
/// caught up by snapshot and then named no leader for good while the others had one. A snapshot
/// install runs inside one peer call, which DotNext bounds by the peer request timeout (2 s) on
/// both ends: an install that takes longer was cancelled and started again from nothing, every
/// time, so a large enough store (or a slow enough disk) kept the node out of the cluster.
/// </summary>
public sealed class WipedFollowerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WipedFollower_WhoseSnapshotInstallOutlastsThePeerCall_FollowsTheLeaderInItsTermAndServesLinearizableReads()
    {
        // Its installs take 3 s after the snapshot arrived: longer than the 2 s peer call that carries it.
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "100"]);
        var wipedNode = await RejoinWipedFollowerAsync(cluster, 400, "CONFIGCLUSTER_TEST_SNAPSHOT_INSTALL_DELAY_MS");

        // A write acknowledged after it rejoined is read back from it, linearizably (the default).
        var written = await WriteAsync(cluster, "after", 1);
        var (status, body) = await wipedNode.Http.GetJsonAsync("/config/after.k1");
        Assert.True(status == HttpStatusCode.OK, $"linearizable read on the rejoined follower answered {(int)status}: {body?.ToJsonString()}");
        Assert.Equal(written["after.k1"], body!["value"]!.GetValue<int>());
        var (history, historyBody) = await wipedNode.Http.GetJsonAsync("/config/before.k3?consistency=linearizable");
        Assert.True(history == HttpStatusCode.OK, $"reading a key from the snapshot answered {(int)history}: {historyBody?.ToJsonString()}");
    }

    [Fact]
    public async Task WipedFollower_WhoseInstallAnswerIsLost_IsOfferedANewerSnapshotAndFollowsTheLeader()
    {
        // The answer to its first install reaches the leader after the 2 s peer call gave up: the
        // leader sends the same snapshot again, which the member (having committed it) refuses
        // without taking the sender as leader, and DotNext 6.12 goes round that loop for good unless
        // the leader offers a newer snapshot (Operations/RefusedSnapshotRescue.cs).
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "100"]);
        var wipedNode = await RejoinWipedFollowerAsync(cluster, 300, "CONFIGCLUSTER_TEST_LATE_FIRST_SNAPSHOT_ANSWER_MS");

        // A leader's rescue is what freed it (the loop did happen), and it is counted.
        var metrics = await Task.WhenAll(cluster.Nodes.Where(node => node != wipedNode).Select(static node => node.Http.GetStringAsync("/metrics")));
        Assert.True(metrics.Any(static text => text.Contains("configcluster_raft_snapshot_rescues_total", StringComparison.Ordinal)), $"no leader counted a snapshot rescue\n{cluster.Logs()}");
        var installed = (await TestCluster.StatusAsync(wipedNode))["snapshotsInstalled"]!.GetValue<long>();
        Assert.True(installed >= 2, $"the member installed {installed} snapshot(s); a rescue offers it a second one");

        var written = await WriteAsync(cluster, "after", 1);
        var (status, body) = await wipedNode.Http.GetJsonAsync("/config/after.k1");
        Assert.True(status == HttpStatusCode.OK, $"linearizable read on the rejoined follower answered {(int)status}: {body?.ToJsonString()}");
        Assert.Equal(written["after.k1"], body!["value"]!.GetValue<int>());
    }

    // With checkpoints every 100 entries (so the leader's log no longer starts at 1 and a wiped
    // follower needs a snapshot): writes, wipes a follower, restarts it with the test switch
    // <paramref name="testSwitch"/> at 3000 ms, and waits until it follows and has caught up.
    private async Task<NodeProcess> RejoinWipedFollowerAsync(TestCluster cluster, int writes, string testSwitch)
    {
        await WriteAsync(cluster, "before", writes);
        var wiped = await cluster.FollowerAsync();
        await cluster.WipeNodeAsync(wiped);
        cluster[wiped].Environment = new Dictionary<string, string> { [testSwitch] = "3000" };
        await cluster.StartNodeAsync(wiped);
        output.WriteLine(await WaitUntilFollowingAsync(cluster, cluster[wiped]));
        return cluster[wiped];
    }

    // Until the wiped node follows the leader in its term with a snapshot installed and has applied
    // everything the leader had committed when the wait began (a member takes the sender of a
    // snapshot as leader before installing it, so the leader alone says little); returns every
    // node's view at that moment (the last views seen are in the timeout's message).
    private static async Task<string> WaitUntilFollowingAsync(TestCluster cluster, NodeProcess wipedNode)
    {
        var seen = "";
        var committed = (await TestCluster.StatusAsync(cluster[await cluster.WaitForLeaderAsync(Timeout)]))["commitIndex"]!.GetValue<long>();
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                var views = new List<string>();
                JsonNode? leaderStatus = null;
                string? leaderId = null;
                foreach (var node in cluster.Nodes)
                {
                    var view = await TestCluster.StatusAsync(node);
                    views.Add($"{node.NodeId}: role {view["role"]}, term {view["term"]}, leader {view["leaderId"]}, snapshots installed {view["snapshotsInstalled"]}, applied {view["appliedIndex"]}");
                    if (node != wipedNode && view["role"]?.GetValue<string>() == "leader")
                        (leaderStatus, leaderId) = (view, node.NodeId);
                }

                seen = string.Join("; ", views);
                // Until it knows the tokens (from the snapshot) the node shows anyone only its role, leader and term.
                var status = await TestCluster.StatusAsync(wipedNode);
                return leaderStatus is not null
                    && status["role"]?.GetValue<string>() == "follower"
                    && status["leaderId"]?.GetValue<string>() == leaderId
                    && status["term"]?.GetValue<long>() == leaderStatus["term"]?.GetValue<long>()
                    && status["snapshotsInstalled"]?.GetValue<long>() >= 1
                    && status["appliedIndex"]?.GetValue<long>() >= committed;
            }, Timeout, $"the wiped follower to install the snapshot, follow the leader in its term and apply up to index {committed}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last seen: {seen}\n{cluster.Logs()}", e);
        }

        return seen;
    }

    // Filler writes through whichever node leads (a write answered 503/504 while leadership moves
    // is sent again); returns the last value written to each key.
    private static async Task<Dictionary<string, int>> WriteAsync(TestCluster cluster, string prefix, int count)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        for (var i = 1; i <= count; i++)
        {
            var key = $"{prefix}.k{i % 8}";
            var value = i;
            await Eventually.WaitAsync(async () =>
            {
                if ((await cluster[leader].Http.PutValueAsync(key, value)).Status == HttpStatusCode.OK)
                    return true;
                leader = await cluster.WaitForLeaderAsync(Timeout);
                return false;
            }, Timeout, $"write {key} = {value}");
            last[key] = value;
        }

        return last;
    }
}
