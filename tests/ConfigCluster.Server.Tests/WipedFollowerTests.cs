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
        // Checkpoints every 100 entries, so the leader's log no longer starts at 1 and a wiped follower needs a snapshot.
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "100"]);
        await WriteAsync(cluster, "before", 400);
        var wiped = await cluster.FollowerAsync();
        await cluster.WipeNodeAsync(wiped);

        // Its installs take 3 s after the snapshot arrived: longer than the 2 s peer call that carries it.
        cluster[wiped].Environment = new Dictionary<string, string> { ["CONFIGCLUSTER_TEST_SNAPSHOT_INSTALL_DELAY_MS"] = "3000" };
        await cluster.StartNodeAsync(wiped);
        var wipedNode = cluster[wiped];
        var seen = "";
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
                    && status["snapshotsInstalled"]?.GetValue<long>() >= 1;
            }, Timeout, "the wiped follower to install the snapshot and follow the leader in its term");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last seen: {seen}\n{cluster.Logs()}", e);
        }

        output.WriteLine(seen);

        // A write acknowledged after it rejoined is read back from it, linearizably (the default).
        var written = await WriteAsync(cluster, "after", 1);
        var (status, body) = await wipedNode.Http.GetJsonAsync("/config/after.k1");
        Assert.True(status == HttpStatusCode.OK, $"linearizable read on the rejoined follower answered {(int)status}: {body?.ToJsonString()}");
        Assert.Equal(written["after.k1"], body!["value"]!.GetValue<int>());
        var (history, historyBody) = await wipedNode.Http.GetJsonAsync("/config/before.k3?consistency=linearizable");
        Assert.True(history == HttpStatusCode.OK, $"reading a key from the snapshot answered {(int)history}: {historyBody?.ToJsonString()}");
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
