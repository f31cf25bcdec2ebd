using System.Net;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>The replicated versioned store through the HTTP contract, on three real nodes.</summary>
public sealed class SpineTests
{
    [Fact]
    public async Task ValueNearTheLimit_LargerThanAnOldPage_IsReplicatedAndReadBack_AndOneOverIsRefused()
    {
        // 2 MiB: twice what a FASTER page held before pages grew to 8 MiB (kept below the 4 MiB
        // ceiling so one entry replicates well within an election timeout on a busy CI machine).
        await using var cluster = await TestCluster.StartAsync(arguments: ["--max-value-bytes", "2097152"]);
        var follower = cluster[await cluster.FollowerAsync()];
        var big = new string('v', (2 << 20) - 16); // JSON-encoded with its quotes: just under 2 MiB

        var body = await follower.Http.MustPutAsync("blob.big", big);
        var (tooBig, error) = await follower.Http.PutValueAsync("blob.big", big + new string('v', 32));

        Assert.Equal(1, body["version"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig);
        Assert.Contains("limit", error!["error"]!.ToJsonString(), StringComparison.Ordinal);
        foreach (var node in cluster.Nodes)
        {
            var (status, read) = await node.Http.GetJsonAsync("/config/blob.big");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(big.Length, read!["value"]!.GetValue<string>().Length);
            Assert.Equal(1, read["version"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task Put_OnFollower_IsReadBackFromEveryNode()
    {
        await using var cluster = await TestCluster.StartAsync();
        var follower = cluster[await cluster.FollowerAsync()];

        var (status, body) = await follower.Http.PutValueAsync("database.host", "db1.internal");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body!["version"]!.GetValue<long>());
        foreach (var node in cluster.Nodes)
        {
            var (getStatus, value) = await node.Http.GetJsonAsync("/config/database.host");
            Assert.Equal(HttpStatusCode.OK, getStatus);
            Assert.Equal("db1.internal", value!["value"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Versions_HistoryRollbackAndErrors_FollowTheContract()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--max-value-bytes", "1024"]);
        var http = cluster[0].Http;
        await http.MustPutAsync("app.mode", "blue");
        await http.MustPutAsync("app.mode", "green");

        var (_, first) = await http.GetJsonAsync("/config/app.mode?version=1");
        Assert.Equal("blue", first!["value"]!.GetValue<string>());

        var (_, history) = await http.GetJsonAsync("/config/history/app.mode");
        var versions = history!["versions"]!.AsArray();
        Assert.Equal(2, versions.Count);
        Assert.All(versions, v =>
        {
            Assert.False(string.IsNullOrEmpty(v!["author"]!.GetValue<string>()));
            Assert.True(DateTimeOffset.UtcNow - v["updatedAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(5));
        });

        var (rollbackStatus, rollback) = await http.SendAsync(HttpMethod.Post, "/config/rollback/app.mode?version=1");
        Assert.Equal(HttpStatusCode.OK, rollbackStatus);
        Assert.Equal(3, rollback!["version"]!.GetValue<long>());
        var (_, latest) = await http.GetJsonAsync("/config/app.mode");
        Assert.Equal("blue", latest!["value"]!.GetValue<string>());
        Assert.Equal("rollback", latest["operation"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/no.such.key")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/app.mode?version=9")).Status);
        var (badKey, badKeyBody) = await http.PutValueAsync("bad..key", 1);
        Assert.Equal(HttpStatusCode.BadRequest, badKey);
        Assert.Contains("key", badKeyBody!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PutJsonAsync("/config/app.x", "{not json")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PutJsonAsync("/config/app.x", "{\"nothing\": 1}")).Status);
        var (conflict, conflictBody) = await http.PutJsonAsync("/config/app.mode", "{\"value\": \"red\", \"expectedVersion\": 1}");
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal(3, conflictBody!["currentVersion"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.PutValueAsync("app.big", new string('x', 2048))).Status);

        // None of the rejected writes changed anything.
        var (_, after) = await http.GetJsonAsync("/config/app.mode");
        Assert.Equal(3, after!["version"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/app.big")).Status);

        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Delete, "/config/app.mode")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetJsonAsync("/config/app.mode")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(HttpMethod.Delete, "/config/app.mode")).Status);
    }

    [Fact]
    public async Task List_ByPrefix_ReturnsKeysInOrderWithPaging()
    {
        await using var cluster = await TestCluster.StartAsync();
        var http = cluster[0].Http;
        foreach (var key in new[] { "app.b", "app.a", "other.x", "app.c" })
            await http.MustPutAsync(key, key);

        var (_, all) = await http.GetJsonAsync("/config?prefix=app.");
        Assert.Equal(["app.a", "app.b", "app.c"], all!["items"]!.AsArray().Select(i => i!["key"]!.GetValue<string>()));

        var (_, page1) = await http.GetJsonAsync("/config?prefix=app.&limit=2");
        Assert.Equal(2, page1!["items"]!.AsArray().Count);
        var token = page1["nextPageToken"]!.GetValue<string>();
        var (_, page2) = await http.GetJsonAsync($"/config?prefix=app.&limit=2&pageToken={token}");
        Assert.Equal(["app.c"], page2!["items"]!.AsArray().Select(i => i!["key"]!.GetValue<string>()));
        Assert.Null(page2["nextPageToken"]);
    }

    [Fact]
    public async Task KillLeader_AfterAcknowledgedWrites_NothingIsLostAndTheNodeCatchesUp()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        var writer = cluster[(leader + 1) % 3];
        for (var i = 0; i < 50; i++)
            await writer.Http.MustPutAsync($"k{i}", i);

        await cluster.KillNodeAsync(leader);
        await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);

        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
        {
            var (_, list) = await node.Http.GetJsonAsync("/config?prefix=k&limit=100");
            Assert.Equal(50, list!["items"]!.AsArray().Count);
        }

        await writer.Http.MustPutAsync("after.failover", true);
        await cluster.StartNodeAsync(leader);
        await cluster.WaitForConvergenceAsync(TestCluster.StartTimeout);
        var (_, value) = await cluster[leader].Http.GetJsonAsync("/config/after.failover?consistency=serializable");
        Assert.True(value!["value"]!.GetValue<bool>());
    }

    [Fact]
    public async Task WipedNode_Restarted_CatchesUpBySnapshot()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "20"]);
        var follower = await cluster.FollowerAsync();
        var writer = cluster[(follower + 1) % 3];
        for (var i = 0; i < 150; i++)
            await writer.Http.MustPutAsync($"snap.k{i}", i);

        await cluster.WipeNodeAsync(follower);
        await cluster.StartNodeAsync(follower);
        await cluster.WaitForConvergenceAsync(TestCluster.StartTimeout);

        var status = await TestCluster.StatusAsync(cluster[follower]);
        Assert.True(status["snapshotsInstalled"]!.GetValue<long>() >= 1, cluster.Logs());
        var (_, list) = await cluster[follower].Http.GetJsonAsync("/config?prefix=snap.&limit=1000&consistency=serializable");
        Assert.Equal(150, list!["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task RestartAll_RecoversFromCheckpointAndLog_WithIdenticalContents()
    {
        // The digest covers every replicated table, audit checkpoints too: none may be recorded
        // between the two digests compared (the default interval is 30 s), or the state differs for real.
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "25"],
            environment: new Dictionary<string, string> { ["ConfigCluster__Audit__CheckpointInterval"] = "01:00:00" });
        for (var i = 0; i < 60; i++)
            await cluster[i % 3].Http.MustPutAsync($"r.k{i % 20}", i);
        await cluster.WaitForConvergenceAsync(TestCluster.StartTimeout);
        var before = (await TestCluster.StatusAsync(cluster[0], digest: true))["digest"]!.GetValue<string>();

        for (var i = 0; i < 3; i++)
            await cluster.KillNodeAsync(i);
        for (var i = 0; i < 3; i++)
            await cluster.StartNodeAsync(i);
        await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        await cluster.WaitForConvergenceAsync(TestCluster.StartTimeout);

        Assert.Equal(before, (await TestCluster.StatusAsync(cluster[1], digest: true))["digest"]!.GetValue<string>());
        var (_, value) = await cluster[2].Http.GetJsonAsync("/config/r.k19");
        Assert.Equal(59, value!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task ClusterStatus_ReportsLeaderMembersAndHealth()
    {
        await using var cluster = await TestCluster.StartAsync();
        var status = await TestCluster.StatusAsync(cluster[1]);
        Assert.Equal("n2", status["nodeId"]!.GetValue<string>());
        Assert.Equal(3, status["members"]!.AsArray().Count);
        Assert.All(status["members"]!.AsArray(), m => Assert.True(m!["healthy"]!.GetValue<bool>()));
        Assert.Single(status["members"]!.AsArray(), m => m!["leader"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, (await cluster[1].Http.GetJsonAsync("/health/ready")).Status);
    }
}
