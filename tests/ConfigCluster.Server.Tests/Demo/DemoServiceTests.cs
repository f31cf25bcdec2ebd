using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Harness;
using Xunit.Abstractions;

namespace ConfigCluster.Server.Tests.Demo;

/// <summary>
/// deploy/demo-service as a real process beside a real three-node cluster: it follows changes,
/// keeps serving through a leader kill, and starts from its last-known-good cache (reporting
/// degraded health) when no node is up.
/// </summary>
public sealed class DemoServiceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReflectBound = TimeSpan.FromSeconds(2);
    private const string Secret = "sk-demo-4f3e2d1c0b";

    private static Dictionary<string, string> MasterKey()
        => new() { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

    private static string Fingerprint(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];

    private static async Task SeedAsync(TestCluster cluster, string greeting, int maxItems)
    {
        await cluster[0].Http.MustPutAsync("demo.greeting", greeting);
        await cluster[0].Http.MustPutAsync("demo.maxItems", maxItems);
        var (status, _) = await cluster[0].Http.PutJsonAsync("/config/demo.apiKey", $"{{\"value\": \"{Secret}\", \"secret\": true}}");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static ConfigClusterClient ClientOf(TestCluster cluster)
    {
        var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        foreach (var node in cluster.Nodes.Where(static n => n.IsRunning))
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        return new ConfigClusterClient(options);
    }

    /// <summary>Polls /settings until <paramref name="condition"/> holds, within <paramref name="bound"/>; returns how long it took.</summary>
    private static async Task<TimeSpan> ReflectedAsync(DemoServiceProcess demo, Func<System.Text.Json.Nodes.JsonNode, bool> condition, TimeSpan bound, string what)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await Eventually.WaitAsync(async () => condition(await demo.SettingsAsync()), bound, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; /settings: {(await demo.SettingsAsync()).ToJsonString()}\n--- demo service ---\n{demo.Log}", e);
        }

        return watch.Elapsed;
    }

    [Fact]
    public async Task DemoService_FollowsChangesWithin2s_RejectsAnInvalidOne_AndKeepsServingThroughALeaderKill()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"cc-demo-{Guid.NewGuid():N}", "config.json");
        try
        {
            await using var cluster = await TestCluster.StartAsync(environment: MasterKey());
            await SeedAsync(cluster, "hello", 10);
            await using var demo = new DemoServiceProcess(cluster, cache);
            await demo.StartAsync(Timeout);

            var settings = await demo.SettingsAsync();
            Assert.Equal("hello", settings["greeting"]!.GetValue<string>());
            Assert.Equal(10, settings["maxItems"]!.GetValue<int>());
            Assert.Equal("cluster", settings["source"]!.GetValue<string>());
            Assert.Equal(Fingerprint(Secret), settings["apiKeySha256"]!.GetValue<string>());
            Assert.DoesNotContain(Secret, settings.ToJsonString());

            // A change written on any node shows in GET /settings within 2 s.
            var follower = await cluster.FollowerAsync();
            await cluster[follower].Http.MustPutAsync("demo.greeting", "changed once");
            var took = await ReflectedAsync(demo, static s => s["greeting"]!.GetValue<string>() == "changed once", ReflectBound, "the new greeting at /settings");
            output.WriteLine($"change reflected after {took.TotalMilliseconds:0} ms");

            // A change that fails validation is not applied (and is logged); the last good value stays.
            var rejected = await cluster[0].Http.MustPutAsync("demo.maxItems", 5000);
            var revision = rejected["revision"]!.GetValue<long>();
            await ReflectedAsync(demo, s => s["revision"]!.GetValue<long>() >= revision, Timeout, "the invalid change to reach the service");
            await Eventually.WaitAsync(() => demo.Log.Contains("failed validation", StringComparison.Ordinal), Timeout, "the rejected change in the service's log");
            Assert.Equal(10, (await demo.SettingsAsync())["maxItems"]!.GetValue<int>());
            // Options are validated whole: nothing else applies until the value is valid again.
            await cluster[0].Http.MustPutAsync("demo.maxItems", 20);
            await ReflectedAsync(demo, static s => s["maxItems"]!.GetValue<int>() == 20, ReflectBound, "the corrected maxItems at /settings");

            // Kill the leader: the service keeps answering while the cluster elects another.
            var leader = await cluster.WaitForLeaderAsync(Timeout);
            await cluster.KillNodeAsync(leader);
            var newLeader = Task.Run(() => cluster.WaitForLeaderAsync(Timeout));
            var answered = 0;
            while (!newLeader.IsCompleted)
            {
                Assert.Equal("changed once", (await demo.SettingsAsync())["greeting"]!.GetValue<string>());
                answered++;
                await Task.Delay(50); // pacing, not waiting: two cores are shared with the election
            }

            await newLeader;
            output.WriteLine($"/settings answered {answered} times during the election");

            // And it follows the next change, now through the surviving nodes.
            using (var client = ClientOf(cluster))
                await client.PutAsync("demo.greeting", "\"after failover\"");
            took = await ReflectedAsync(demo, static s => s["greeting"]!.GetValue<string>() == "after failover", TimeSpan.FromSeconds(10), "the greeting written after the failover");
            output.WriteLine($"change after the failover reflected after {took.TotalMilliseconds:0} ms");
            Assert.Equal("Healthy", (await demo.HealthAsync())["status"]!.GetValue<string>());
            Assert.DoesNotContain(Secret, demo.Log);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(cache)!, recursive: true);
        }
    }

    [Fact]
    public async Task DemoService_RestartedWhileEveryNodeIsDown_StartsFromItsCacheAndReportsDegraded()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"cc-demo-{Guid.NewGuid():N}", "config.json");
        try
        {
            await using var cluster = await TestCluster.StartAsync(environment: MasterKey());
            await SeedAsync(cluster, "cached greeting", 42);
            await using var demo = new DemoServiceProcess(cluster, cache);
            await demo.StartAsync(Timeout);
            await ReflectedAsync(demo, static s => s["greeting"]!.GetValue<string>() == "cached greeting" && s["apiKeySha256"] is not null, Timeout, "the seeded settings");
            Assert.Equal("Healthy", (await demo.HealthAsync())["status"]!.GetValue<string>());

            for (var i = 0; i < cluster.Nodes.Count; i++)
                await cluster.KillNodeAsync(i);
            await demo.StopAsync();
            await demo.StartAsync(Timeout);

            var settings = await demo.SettingsAsync();
            Assert.Equal("cache", settings["source"]!.GetValue<string>());
            Assert.Equal("cached greeting", settings["greeting"]!.GetValue<string>());
            Assert.Equal(42, settings["maxItems"]!.GetValue<int>());
            Assert.Null(settings["apiKeySha256"]); // secrets reach the service in memory only, never the cache
            Assert.DoesNotContain(Secret, await File.ReadAllTextAsync(cache));
            var health = await demo.HealthAsync();
            Assert.Equal("Degraded", health["status"]!.GetValue<string>());
            Assert.Contains("last-known-good", health["checks"]!["configcluster"]!["description"]!.GetValue<string>());

            // The nodes come back: the service reloads from the cluster by itself, secret included.
            for (var i = 0; i < cluster.Nodes.Count; i++)
                cluster[i].Start(cluster.Members);
            await cluster.WaitForLeaderAsync(Timeout);
            await ReflectedAsync(demo, static s => s["source"]!.GetValue<string>() == "cluster" && s["apiKeySha256"] is not null, Timeout, "the service to reload from the cluster");
            Assert.Equal("Healthy", (await demo.HealthAsync())["status"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(cache)!, recursive: true);
        }
    }
}
