using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>README "Operations": retention by age, rollback to a removed version, removing the leader.</summary>
public sealed partial class ReadmePromiseTests
{
    [Fact]
    public async Task RetentionByAge_RemovesOnlyVersionsOlderThanMaxAge_KeepsTheNewest_AndRollbackToARemovedOneIsRefused()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var http = cluster[0].Http;
        for (var i = 1; i <= 3; i++)
            await http.MustPutAsync("age.k", i);
        await http.MustPutAsync("age.single", "only");

        // An hour is far older than anything here: nothing goes.
        AssertStatus(HttpStatusCode.OK, await http.PutJsonAsync("/namespaces/default/retention", "{\"maxAge\": \"1h\"}"), "maxAge 1h");
        var (_, kept) = await http.SendAsync(HttpMethod.Post, "/namespaces/default/compact");
        Assert.Equal(0, kept!["removed"]!.GetValue<long>());
        Assert.Equal([1L, 2, 3], Versions((await http.GetJsonAsync("/config/history/age.k")).Body));

        // One second: once the versions are that old, a compaction removes all but each key's newest.
        var (status, set) = await http.PutJsonAsync("/namespaces/default/retention", "{\"maxAge\": \"1s\"}");
        AssertStatus(HttpStatusCode.OK, (status, set), "maxAge 1s");
        Assert.Equal((0L, 1L), (set!["maxVersions"]!.GetValue<long>(), set["maxAgeSeconds"]!.GetValue<long>()));
        long removed = 0;
        await Eventually.WaitAsync(async () =>
        {
            var (_, report) = await http.SendAsync(HttpMethod.Post, "/namespaces/default/compact");
            removed += report!["removed"]!.GetValue<long>();
            return Versions((await http.GetJsonAsync("/config/history/age.k")).Body).SequenceEqual([3L]);
        }, Timeout, "versions 1 and 2 of age.k to age out");

        Assert.Equal(2, removed);
        Assert.Equal([1L], Versions((await http.GetJsonAsync("/config/history/age.single")).Body));
        AssertStatus(HttpStatusCode.NotFound, await http.GetJsonAsync("/config/age.k?version=1"), "a removed version");
        AssertStatus(HttpStatusCode.NotFound, await http.SendAsync(HttpMethod.Post, "/config/rollback/age.k?version=1"), "rollback to a removed version");
        var (_, current) = await http.GetJsonAsync("/config/age.k");
        Assert.Equal((3, 3L), (current!["value"]!.GetValue<int>(), current["version"]!.GetValue<long>()));
        Assert.Equal([3L], Versions((await http.GetJsonAsync("/config/history/age.k")).Body));
    }

    [Fact]
    public async Task RemovingTheLeader_HandsLeadershipOverFirst_AndTheTwoLeftKeepServing()
    {
        await using var cluster = await TestCluster.StartAsync(count: 3);
        await cluster[0].Http.MustPutAsync("rm.before", 1);
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        var leaderId = cluster[leader].NodeId;
        var remaining = Enumerable.Range(0, 3).Where(i => i != leader).ToList();

        // Asked on the leader itself, as `ccctl member remove` may well do.
        var (status, body) = await cluster[leader].Http.SendAsync(HttpMethod.Delete, $"/cluster/members/{leaderId}");

        AssertStatus(HttpStatusCode.OK, (status, body), "removing the leader");
        var expected = remaining.Select(i => cluster[i].NodeId).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, MemberIds(body));
        foreach (var i in remaining)
        {
            await Eventually.WaitAsync(async () =>
            {
                var (_, seen) = await cluster[i].Http.GetJsonAsync("/cluster/members");
                return MemberIds(seen).SequenceEqual(expected);
            }, Timeout, $"{cluster[i].NodeId} to list the two remaining members");
        }

        // The removed node is not needed any more: without it, the two still elect and commit.
        await cluster.KillNodeAsync(leader);
        var newLeader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        Assert.Contains(newLeader, remaining);
        foreach (var i in remaining)
            await cluster[i].Http.MustPutAsync("rm.after", i);
        foreach (var i in remaining)
        {
            Assert.Equal(1, (await cluster[i].Http.GetJsonAsync("/config/rm.before")).Body!["value"]!.GetValue<int>());
            Assert.Equal(remaining[^1], (await cluster[i].Http.GetJsonAsync("/config/rm.after")).Body!["value"]!.GetValue<int>());
        }
    }

    private static IReadOnlyList<string> MemberIds(JsonNode? body)
        => [.. body!["members"]!.AsArray().Select(static m => m!["nodeId"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
}
