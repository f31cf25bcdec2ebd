using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// A mixed cluster during a rolling upgrade: while one member announces an older command format
/// (standing in for an older build), the leader refuses operations of the newer format and keeps
/// serving the older ones; once that member announces the newer format, they switch on.
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
}
