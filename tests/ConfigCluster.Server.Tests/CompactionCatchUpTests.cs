using System.Net;
using ConfigCluster.Server.Tests.Harness;
using Xunit.Abstractions;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// A follower that was down while the others compacted their logs catches up by a snapshot of a
/// compacted store: with <c>--compact-threshold 1MiB</c>, a checkpoint every 20 entries and
/// retention of one version, compaction runs slice by slice on every live node while the writes
/// go on, and the leader's Raft snapshot of a compacted checkpoint reaches the follower. A send
/// whose checkpoint a later compaction superseded fails and the next round sends a newer one; the
/// test reports how often that happened and how long compaction steps held the writer.
/// </summary>
public sealed class CompactionCatchUpTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task FollowerDownWhileTheOthersCompact_CatchesUpBySnapshot_AndAgrees()
    {
        using var deadline = new CancellationTokenSource(Timeout * 2);
        await using var cluster = await TestCluster.StartAsync(arguments: ["--compact-threshold", "1MiB", "--snapshot-interval", "20", "--compaction-interval", "1s"]);
        var leader = cluster[await cluster.WaitForLeaderAsync(Timeout)];
        Assert.Equal(HttpStatusCode.OK, (await leader.Http.PutJsonAsync("/namespaces/default/retention", "{\"maxVersions\": 1}")).Status);
        var down = await cluster.FollowerAsync();
        await cluster.KillNodeAsync(down);

        // About 12 MiB of overwrites of 10 keys: each key's older versions are removed by retention
        // and their records reclaimed by compaction, again and again.
        var filler = new string('x', 16 << 10);
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 400; i++)
                await leader.Http.MustPutAsync($"compact.k{w}-{i % 5}", $"{i}-{filler}");
        }, deadline.Token)).ToList();
        await Task.WhenAll(writers);
        await Eventually.WaitAsync(async () => MetricsText.Sum(await leader.Http.GetStringAsync("/metrics", deadline.Token), "configcluster_store_compaction_passes") >= 2,
            Timeout, "two compaction passes on the leader");

        await cluster.StartNodeAsync(down);
        await cluster.WaitForConvergenceAsync(Timeout);
        var (status, value) = await cluster[down].Http.GetJsonAsync("/config/compact.k1-4?consistency=serializable");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("399-", value!["value"]!.GetValue<string>(), StringComparison.Ordinal);

        var leaderText = await leader.Http.GetStringAsync("/metrics", deadline.Token);
        var followerText = await cluster[down].Http.GetStringAsync("/metrics", deadline.Token);
        Assert.True(MetricsText.Sum(followerText, "configcluster_store_snapshot_install_duration_milliseconds_count") >= 1,
            "the follower caught up without a snapshot: the leader's log still held every entry it missed");
        var steps = MetricsText.Sum(leaderText, "configcluster_store_compaction_duration_milliseconds_count");
        Assert.True(steps >= 2, $"{steps} compaction steps on the leader");
        output.WriteLine(
            $"leader: {steps} compaction steps, {MetricsText.Sum(leaderText, "configcluster_store_compaction_duration_milliseconds_sum") / steps:F1} ms each on average, " +
            $"{MetricsText.Sample(leaderText, "configcluster_store_compaction_duration_milliseconds_bucket", "le=\"10\"")} of them within 10 ms, " +
            $"{MetricsText.Sample(leaderText, "configcluster_store_compaction_duration_milliseconds_bucket", "le=\"50\"")} within 50 ms; " +
            $"{MetricsText.Sum(leaderText, "configcluster_store_compaction_reclaimed")} bytes reclaimed; " +
            $"{MetricsText.Sum(leaderText, "configcluster_raft_snapshot_sends_superseded")} snapshot sends superseded by a compaction; " +
            $"follower: {MetricsText.Sum(followerText, "configcluster_store_snapshot_install_duration_milliseconds_count")} snapshot installs");
    }
}
