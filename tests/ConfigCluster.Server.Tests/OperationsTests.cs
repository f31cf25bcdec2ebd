using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Operator tasks through ccctl: backup and restore, leadership transfer, keyring.</summary>
public sealed class OperationsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SnapshotSavedUnderLoad_RestoresEveryNode_ToTheContentAtTheSavedRevision_AndContinues()
    {
        var masterKey = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var backup = Path.Combine(Path.GetTempPath(), $"cc-backup-{Guid.NewGuid():N}.snap");
        const string marker = "restored-secret-7f3a91";
        try
        {
            long savedRevision;
            var expected = new Dictionary<string, long>(); // load key -> its latest version at the saved revision
            await using (var source = await TestCluster.StartAsync(environment: masterKey))
            {
                var follower = source[await source.FollowerAsync()];
                await follower.Http.MustPutAsync("app.name", "first");
                await follower.Http.MustPutAsync("app.name", "second");
                await follower.Http.MustPutAsync("app.gone", 1);
                Assert.Equal(HttpStatusCode.OK, (await follower.Http.SendAsync(HttpMethod.Delete, "/config/app.gone")).Status);
                await follower.Http.PutJsonAsync("/config/db.password", $"{{\"value\": \"{marker}\", \"secret\": true}}");

                // Writers keep going while the snapshot is taken.
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                        await source[w].Http.PutValueAsync($"load.k{(i * 2 + w) % 10}", i);
                })).ToList();
                await Eventually.WaitAsync(async () => (await TestCluster.StatusAsync(source[0]))["revision"]!.GetValue<long>() > 40, Timeout, "some load before the snapshot");
                var saved = await Ccctl.RunAsync(source, "snapshot", "save", backup, "-o", "json");
                await Eventually.WaitAsync(async () => (await TestCluster.StatusAsync(source[0]))["revision"]!.GetValue<long>() > 80, Timeout, "load after the snapshot");
                await stop.CancelAsync();
                await Task.WhenAll(writers);
                Assert.True(saved.Code == 0, saved.Err);
                savedRevision = System.Text.Json.Nodes.JsonNode.Parse(saved.Out)!["revision"]!.GetValue<long>();

                await source.WaitForConvergenceAsync(Timeout);
                for (var k = 0; k < 10; k++)
                {
                    var (_, history) = await source[0].Http.GetJsonAsync($"/config/history/load.k{k}");
                    expected[$"load.k{k}"] = history!["versions"]!.AsArray()
                        .Where(v => v!["revision"]!.GetValue<long>() <= savedRevision)
                        .Select(static v => v!["version"]!.GetValue<long>()).DefaultIfEmpty(0).Max();
                }
            }

            // Secrets stay ciphertext in the backup.
            Assert.DoesNotContain(marker, System.Text.Encoding.UTF8.GetString(await File.ReadAllBytesAsync(backup)), StringComparison.Ordinal);

            await using var restored = await TestCluster.StartAsync(environment: masterKey, beforeFirstStart: async node =>
            {
                var result = await Ccctl.RunAsync(null, "snapshot", "restore", backup, "--data-dir", node.DataDirectory);
                Assert.True(result.Code == 0, result.Err);
                Assert.Contains($"revision {savedRevision}", result.Out, StringComparison.Ordinal);
            });

            // Every restored node holds exactly the state at the saved revision.
            await restored.WaitForConvergenceAsync(Timeout);
            Assert.Equal(savedRevision, (await TestCluster.StatusAsync(restored[0]))["revision"]!.GetValue<long>());
            foreach (var (key, version) in expected)
            {
                var (found, latest) = await restored[1].Http.GetJsonAsync($"/config/{key}");
                Assert.Equal(version == 0 ? HttpStatusCode.NotFound : HttpStatusCode.OK, found);
                if (version > 0)
                    Assert.Equal(version, latest!["version"]!.GetValue<long>());
            }

            var node = restored[await restored.FollowerAsync()];
            var (_, name) = await node.Http.GetJsonAsync("/config/app.name");
            Assert.Equal("second", name!["value"]!.GetValue<string>());
            Assert.Equal(2, name["version"]!.GetValue<long>());
            Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/config/app.gone")).Status);
            Assert.Equal(marker, (await node.Http.GetJsonAsync("/config/db.password")).Body!["value"]!.GetValue<string>());

            var next = await node.Http.MustPutAsync("app.name", "third");
            Assert.Equal(3, next["version"]!.GetValue<long>());
            Assert.Equal(savedRevision + 1, next["revision"]!.GetValue<long>());
            await restored.WaitForConvergenceAsync(Timeout);
        }
        finally
        {
            File.Delete(backup);
        }
    }

    [Fact]
    public async Task SnapshotRestore_DamagedFileOrUsedDirectory_IsRefusedAndWritesNothing()
    {
        var backup = Path.Combine(Path.GetTempPath(), $"cc-backup-{Guid.NewGuid():N}.snap");
        var target = Path.Combine(Path.GetTempPath(), $"cc-restore-{Guid.NewGuid():N}");
        try
        {
            await using (var cluster = await TestCluster.StartAsync(count: 1))
            {
                await cluster[0].Http.MustPutAsync("k", "v");
                Assert.Equal(0, (await Ccctl.RunAsync(cluster, "snapshot", "save", backup)).Code);
            }

            var bytes = await File.ReadAllBytesAsync(backup);
            bytes[bytes.Length / 2] ^= 0x5a;
            var damaged = backup + ".damaged";
            await File.WriteAllBytesAsync(damaged, bytes);

            var refused = await Ccctl.RunAsync(null, "snapshot", "restore", damaged, "--data-dir", target);
            Assert.NotEqual(0, refused.Code);
            Assert.Contains("checksum", refused.Err, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(target, "store")));
            File.Delete(damaged);

            Directory.CreateDirectory(target);
            await File.WriteAllTextAsync(Path.Combine(target, "something"), "x");
            var used = await Ccctl.RunAsync(null, "snapshot", "restore", backup, "--data-dir", target);
            Assert.NotEqual(0, used.Code);
            Assert.Contains("not empty", used.Err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(backup);
            if (Directory.Exists(target))
                Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public async Task LeaderTransfer_ToANamedFollower_MakesItLeader_AndWritesGoOn()
    {
        await using var cluster = await TestCluster.StartAsync();
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        var target = cluster[(leader + 1) % 3].NodeId;

        var moved = await Ccctl.RunAsync(cluster, "leader", "transfer", "--to", target);

        Assert.True(moved.Code == 0, moved.Err);
        Assert.Contains($"leader is now {target}", moved.Out, StringComparison.Ordinal);
        Assert.Equal(target, cluster[await cluster.WaitForLeaderAsync(Timeout)].NodeId);
        await cluster[leader].Http.MustPutAsync("after.transfer", 1);

        var unknown = await Ccctl.RunAsync(cluster, "leader", "transfer", "--to", "no-such-node");
        Assert.Equal(1, unknown.Code);
        Assert.Contains("no-such-node", unknown.Err, StringComparison.Ordinal);

        var (status, body) = await cluster[0].Http.SendAsync(HttpMethod.Post, "/cluster/leader/transfer");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual(body!["previousLeader"]!.GetValue<string>(), body["leader"]!.GetValue<string>());
        using var anonymous = await cluster[0].Anonymous.PostAsync("/cluster/leader/transfer", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task KeysRotateAndRewrap_ThroughCcctl_MoveEverySecretToTheNewKey()
    {
        var masterKey = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        await using var cluster = await TestCluster.StartAsync(environment: masterKey);
        await cluster[0].Http.PutJsonAsync("/config/s1", "{\"value\": \"one\", \"secret\": true}");

        Assert.Equal(0, (await Ccctl.RunAsync(cluster, "keys", "rotate")).Code);
        var rewrap = await Ccctl.RunAsync(cluster, "keys", "rewrap", "--batch", "10");
        var list = await Ccctl.RunAsync(cluster, "keys", "list", "-o", "json");

        Assert.True(rewrap.Code == 0, rewrap.Err);
        Assert.Contains("rewrapped 1 versions", rewrap.Out, StringComparison.Ordinal);
        Assert.Equal(0, System.Text.Json.Nodes.JsonNode.Parse(list.Out)!["pendingRewrap"]!.GetValue<long>());
        Assert.Equal("one", (await cluster[1].Http.GetJsonAsync("/config/s1")).Body!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retention_LeaderCompactsOnEveryNode_AndAWatchBeforeTheOldestRevisionIsRefused()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--compaction-interval", "1s"]);
        var node = cluster[await cluster.FollowerAsync()];
        for (var i = 1; i <= 20; i++)
            await node.Http.MustPutAsync("ret.k", i);
        await node.Http.MustPutAsync("ret.once", 1);

        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.PutJsonAsync("/namespaces/default/retention", "{\"maxVersions\": -1}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.PutJsonAsync("/namespaces/default/retention", "{\"maxAge\": \"soon\"}")).Status);
        Assert.Equal(0, (await node.Http.GetJsonAsync("/namespaces/default/retention")).Body!["maxVersions"]!.GetValue<long>());
        var (status, set) = await node.Http.PutJsonAsync("/namespaces/default/retention", "{\"maxVersions\": 5}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, set!["maxVersions"]!.GetValue<long>());

        // No request compacts: the leader's periodic compaction does, through the log.
        foreach (var member in cluster.Nodes)
        {
            await Eventually.WaitAsync(
                async () => (await member.Http.GetJsonAsync("/config/history/ret.k?consistency=serializable")).Body!["versions"]!.AsArray().Count == 5,
                Timeout,
                $"{member.NodeId} to keep five versions of ret.k");
            var (_, kept) = await member.Http.GetJsonAsync("/config/history/ret.k?consistency=serializable");
            Assert.Equal([16L, 17, 18, 19, 20], kept!["versions"]!.AsArray().Select(static v => v!["version"]!.GetValue<long>()));
        }

        var (_, history) = await node.Http.GetJsonAsync("/config/history/ret.k");
        Assert.Equal([16L, 17, 18, 19, 20], history!["versions"]!.AsArray().Select(static v => v!["version"]!.GetValue<long>()));
        Assert.Single((await node.Http.GetJsonAsync("/config/history/ret.once")).Body!["versions"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/config/ret.k?version=1")).Status);
        await cluster.WaitForConvergenceAsync(Timeout);

        var options = new ConfigCluster.Client.ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        options.Endpoints.Add(new Uri(node.GrpcUrl));
        using var client = new ConfigCluster.Client.ConfigClusterClient(options);
        var compacted = await Assert.ThrowsAsync<ConfigCluster.Client.ConfigCompactedException>(
            () => client.WatchAsync("ret.k", _ => { }, startRevision: 1, token: new CancellationTokenSource(Timeout).Token));
        Assert.Equal(16, compacted.OldestRevision);

        var manual = await Ccctl.RunAsync(cluster, "retention", "compact", "-o", "json");
        Assert.True(manual.Code == 0, manual.Err);
        Assert.Equal(0, System.Text.Json.Nodes.JsonNode.Parse(manual.Out)!["removed"]!.GetValue<long>());
        Assert.Contains("max versions 5", (await Ccctl.RunAsync(cluster, "retention", "get")).Out, StringComparison.Ordinal);
    }
}
