using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Issue 19: a restarted follower is ready as soon as it has heard from the leader and applied up to
/// the leader's commit index, and not before. It knows the leader from the leader's first message,
/// while its own commit index can still be the one it had when it went down; readiness used to
/// compare applied with that local index only, so a follower that missed writes answered ready
/// while it still lacked them.
/// </summary>
public sealed class RestartedFollowerReadinessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RestartedFollower_ThatMissedWrites_IsNotReadyUntilItHasAppliedThemAndIsReadyAfter()
    {
        // Checkpoints every 100 entries: after 400 writes made while the follower is down, the leader
        // catches it up with a snapshot, and the test switch holds that install back 3 s, so there is
        // a long stretch in which the follower knows the leader but lacks the writes.
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "100"]);
        await cluster.WaitForAccessAsync();
        await WriteAsync(cluster, "before", 20);
        await cluster.WaitForConvergenceAsync(Timeout);
        var follower = await cluster.FollowerAsync();
        var node = cluster[follower];
        await cluster.KillNodeAsync(follower);

        var written = await WriteAsync(cluster, "down", 400);
        var committed = (await TestCluster.StatusAsync(cluster[await cluster.WaitForLeaderAsync(Timeout)]))["commitIndex"]!.GetValue<long>();
        node.Environment = new Dictionary<string, string> { ["CONFIGCLUSTER_TEST_SNAPSHOT_INSTALL_DELAY_MS"] = "3000" };
        await cluster.StartNodeAsync(follower);

        // Every answer of its readiness probe until it is ready: each "ready" must come with the
        // writes applied (its applied index at or past the leader's commit index of before the
        // restart, and the last write readable from its own store without a barrier).
        var notReadyWithLeader = 0;
        string? firstReady = null;
        var readyTooEarly = new List<string>();
        await Eventually.WaitAsync(async () =>
        {
            var (status, body) = await node.Anonymous.GetJsonAsync("/health/ready");
            if (status != HttpStatusCode.OK)
            {
                if (body?["leaderKnown"]?.GetValue<bool>() == true)
                    notReadyWithLeader++;
                return false;
            }

            firstReady = body!.ToJsonString();
            var applied = body["appliedIndex"]!.GetValue<long>();
            if (applied < committed)
                readyTooEarly.Add($"ready at applied index {applied} < {committed}: {firstReady}");
            foreach (var (key, value) in written)
            {
                var (read, readBody) = await node.Http.GetJsonAsync($"/config/{key}?consistency=serializable");
                if (read != HttpStatusCode.OK || readBody?["value"]?.GetValue<int>() != value)
                    readyTooEarly.Add($"ready, but its own store answered {(int)read} {readBody?.ToJsonString()} for {key} (written {value})");
            }

            return true;
        }, Timeout, "the restarted follower to become ready");

        output.WriteLine($"not ready while a leader was known: {notReadyWithLeader} probes; first ready: {firstReady}");
        Assert.True(readyTooEarly.Count == 0, string.Join('\n', readyTooEarly) + "\n" + cluster.Logs());
        var installed = (await TestCluster.StatusAsync(node))["snapshotsInstalled"]!.GetValue<long>();
        Assert.True(installed >= 1, $"the follower caught up without a snapshot ({installed} installed): the test did not hold it back");
        Assert.True(notReadyWithLeader > 0, "the follower was never seen knowing a leader while not ready: the test did not observe the catch-up window");
        Assert.Contains("Start-up: caught up with the leader", node.Log, StringComparison.Ordinal);
    }

    // Writes through whichever node leads (a write answered otherwise while leadership moves is
    // sent again); returns the last value written to each key.
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
