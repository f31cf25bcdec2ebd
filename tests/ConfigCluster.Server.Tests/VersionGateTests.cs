using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// A mixed cluster during a rolling upgrade: while one member announces an older command format
/// (standing in for an older build), the leader refuses operations of the newer format and keeps
/// serving the older ones; once that member announces the newer format, they switch on. And if a
/// newer command reaches a member that cannot apply it anyway, that member stops applying, loudly,
/// instead of skipping it, while the others keep serving.
/// </summary>
public sealed class VersionGateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NewerOperation_RefusedWhileAMemberIsOlder_AndEnabledOnceEveryMemberSupportsIt()
    {
        var master = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        await using var cluster = await TestCluster.StartAsync(environment: master);
        var older = await cluster.FollowerAsync();
        cluster[older].Environment = new Dictionary<string, string>(master) { ["CONFIGCLUSTER_TEST_ANNOUNCE_FORMAT"] = "1" };
        await cluster.RestartNodeAsync(older);
        var leader = cluster[await cluster.WaitForLeaderAsync(Timeout)];

        // The leader learns the restarted member's format from its next sample (at most two seconds
        // old; until then it keeps the answer the member gave before its restart), and shows it.
        await Eventually.WaitAsync(async () =>
        {
            var members = (await TestCluster.StatusAsync(leader))["members"]!.AsArray();
            return members.Single(m => m!["nodeId"]!.GetValue<string>() == cluster[older].NodeId)!["commandFormat"]!.GetValue<long>() == 1;
        }, Timeout, "the leader's status to show the older member's command format 1");

        // A transit key is a command of the newer format: refused, nothing written.
        var (refused, body) = await leader.Http.SendAsync(HttpMethod.Post, "/v1/transit/keys/gated", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Contains("upgrade every member", body!["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await leader.Http.GetJsonAsync("/v1/transit/keys/gated")).Status);
        // Operations of the first format still work.
        await leader.Http.MustPutAsync("gate.plain", 1);

        // The member is "upgraded": the operation switches on.
        cluster[older].Environment = master;
        await cluster.RestartNodeAsync(older);
        await Eventually.WaitAsync(async () =>
        {
            var current = cluster[await cluster.WaitForLeaderAsync(Timeout)];
            return (await current.Http.SendAsync(HttpMethod.Post, "/v1/transit/keys/gated", "{}")).Status is HttpStatusCode.OK or HttpStatusCode.NoContent;
        }, Timeout, "the transit key created once every member announces the newer format");
        await cluster.WaitForConvergenceAsync(Timeout);
    }

    [Fact]
    public async Task CommandNewerThanAMemberApplies_HaltsItsApplyLoudly_TheOthersKeepServing_AndTheUpgradedMemberCatchesUp()
    {
        var master = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        await using var cluster = await TestCluster.StartAsync(environment: master);
        // The older member announces the newer format, as one whose announcement the leader had not
        // re-read would, so the leader's gate lets newer commands through; its applier knows format 1
        // only. It halts at the first newer command in the log (the leader's log clock is one), even
        // while it replays its log at start, and still starts, to say so.
        var older = await cluster.FollowerAsync();
        cluster[older].Environment = new Dictionary<string, string>(master) { ["CONFIGCLUSTER_TEST_APPLY_FORMAT"] = "1" };
        await cluster.RestartNodeAsync(older);
        var leaderIndex = await cluster.WaitForLeaderAsync(Timeout);
        var leader = cluster[leaderIndex];
        var other = cluster[Enumerable.Range(0, 3).Single(i => i != older && i != leaderIndex)];

        // A transit key needs the newer format too.
        var (created, _) = await leader.Http.SendAsync(HttpMethod.Post, "/v1/transit/keys/halting", "{}");
        Assert.True(created is HttpStatusCode.OK or HttpStatusCode.NoContent, $"creating the transit key answered {(int)created}");

        // The older member says so: not ready with the reason, the alarm counter, a critical log line.
        await Eventually.WaitAsync(async () => (await cluster[older].Anonymous.GetJsonAsync("/health/ready")).Body?["applyHalted"]?.GetValue<bool>() == true,
            Timeout, "the older member's readiness to report its apply halted");
        var (readyStatus, ready) = await cluster[older].Anonymous.GetJsonAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.Contains("newer than this build applies (1); upgrade this node", ready!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^configcluster_apply_halted(\{[^}]*\})? 1( |$)", await cluster[older].Http.GetStringAsync("/metrics"));
        Assert.Contains("Apply halted at log entry", cluster[older].Log, StringComparison.Ordinal);

        // The other two keep serving writes and linearizable reads, through the leader and the
        // follower alike; the halted member applies none of it (its state no longer moves).
        for (var i = 0; i < 5; i++)
        {
            await leader.Http.MustPutAsync($"halt.after{i}", i);
            await other.Http.MustPutAsync($"halt.via{i}", i);
        }
        foreach (var node in new[] { leader, other })
        {
            var (status, body) = await node.Http.GetJsonAsync("/config/halt.via4");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(4, body!["value"]!.GetValue<int>());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[older].Http.GetJsonAsync("/config/halt.after4?consistency=serializable")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await cluster[older].Anonymous.GetJsonAsync("/health/ready")).Status);

        // Upgraded (restarted on a build that applies the newer format), it applies the halted entry
        // and everything after it, and agrees with the others.
        cluster[older].Environment = master;
        await cluster.RestartNodeAsync(older);
        await cluster.WaitForConvergenceAsync(Timeout);
        await Eventually.WaitAsync(async () => (await cluster[older].Anonymous.GetJsonAsync("/health/ready")).Status == HttpStatusCode.OK,
            Timeout, "the upgraded member to be ready");
        Assert.Equal(HttpStatusCode.OK, (await cluster[older].Http.GetJsonAsync("/config/halt.after4?consistency=serializable")).Status);
        Assert.Equal(HttpStatusCode.OK, (await cluster[older].Http.GetJsonAsync("/v1/transit/keys/halting")).Status);
    }
}
