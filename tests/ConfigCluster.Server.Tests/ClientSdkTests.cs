using System.Collections.Concurrent;
using ConfigCluster.Client;
using ConfigCluster.Client.Configuration;
using ConfigCluster.Server.Tests.Harness;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace ConfigCluster.Server.Tests;

/// <summary>The .NET SDK and the IConfiguration provider against real nodes, through node failures.</summary>
public sealed class ClientSdkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static ConfigClusterClientOptions OptionsFor(TestCluster cluster)
    {
        var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken };
        foreach (var node in cluster.Nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        return options;
    }

    [Fact]
    public async Task Sdk_ThroughALeaderKill_KeepsServingReadsAndWritesWithoutErrors()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = new ConfigClusterClient(OptionsFor(cluster));
        await client.PutAsync("sdk.counter", "0");

        var killer = Task.Run(async () =>
        {
            await Eventually.WaitAsync(async () => (await client.GetAsync("sdk.counter")).Version >= 10, Timeout, "a few writes before the kill");
            await cluster.KillNodeAsync(await cluster.WaitForLeaderAsync(Timeout));
        });
        for (var i = 1; i <= 60; i++)
        {
            await client.PutAsync("sdk.counter", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.GetAsync("sdk.counter")).ValueJson);
        }

        await killer;
        Assert.Equal(61, (await client.HistoryAsync("sdk.counter")).Count);
    }

    [Fact]
    public async Task SdkWatch_WhileNodesAreKilled_SeesEveryEventOnceInOrder()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = new ConfigClusterClient(OptionsFor(cluster));
        var start = (await client.PutAsync("watch.start", "0")).Revision;
        var seen = new ConcurrentQueue<ConfigChange>();
        using var cts = new CancellationTokenSource(Timeout);
        var watch = client.WatchAsync("w.", change =>
        {
            seen.Enqueue(change);
            return Task.CompletedTask;
        }, startRevision: start, token: cts.Token);

        for (var i = 1; i <= 60; i++)
        {
            await client.PutAsync($"w.k{i % 7}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (i % 20 == 0)
            {
                var victim = (i / 20) - 1;
                await cluster.KillNodeAsync(victim);
                await cluster.WaitForLeaderAsync(Timeout);
                await cluster.StartNodeAsync(victim);
            }
        }

        await Eventually.WaitAsync(() => seen.Count >= 60, Timeout, "all 60 events at the watcher");
        await cts.CancelAsync();
        await watch;
        Assert.Equal(Enumerable.Range(1, 60).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), seen.Select(static c => c.ValueJson));
        Assert.Equal(seen.Select(static c => c.Revision).Order(), seen.Select(static c => c.Revision));
    }

    [Fact]
    public async Task ConfigurationProvider_ReloadsOnChange_AndStartsFromCacheWhenTheClusterIsDown()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"cc-lkg-{Guid.NewGuid():N}.json");
        try
        {
            await using var cluster = await TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) });
            await cluster[0].Http.MustPutAsync("app.limits.max", 10);
            await cluster[0].Http.MustPutAsync("app.name", "demo");
            await cluster[0].Http.PutJsonAsync("/config/app.password", "{\"value\": \"p4ssw0rd-secret\", \"secret\": true}");

            var configuration = new ConfigurationBuilder().AddConfigCluster(options =>
            {
                foreach (var node in cluster.Nodes)
                    options.Client.Endpoints.Add(new Uri(node.GrpcUrl));
                options.Client.Token = NodeProcess.AdminToken;
                options.Prefix = "app.";
                options.CacheFile = cache;
            }).Build();
            Assert.Equal("10", configuration["app:limits:max"]);
            Assert.Equal("demo", configuration["app:name"]);
            Assert.Equal("p4ssw0rd-secret", configuration["app:password"]);

            var reloaded = new TaskCompletionSource();
            using var registration = ChangeToken.OnChange(configuration.GetReloadToken, () =>
            {
                if (configuration["app:limits:max"] == "20")
                    reloaded.TrySetResult();
            });
            await cluster[1].Http.MustPutAsync("app.limits.max", 20);
            await reloaded.Task.WaitAsync(Timeout);
            (configuration as IDisposable)?.Dispose();

            Assert.DoesNotContain("p4ssw0rd-secret", await File.ReadAllTextAsync(cache));
            for (var i = 0; i < 3; i++)
                await cluster.KillNodeAsync(i);

            var offline = new ConfigurationBuilder().AddConfigCluster(options =>
            {
                foreach (var node in cluster.Nodes)
                    options.Client.Endpoints.Add(new Uri(node.GrpcUrl));
                options.Client.OperationTimeout = TimeSpan.FromSeconds(2);
                options.StartupTimeout = TimeSpan.FromSeconds(3);
                options.Prefix = "app.";
                options.CacheFile = cache;
                options.ReloadOnChange = false;
            }).Build();
            Assert.Equal("20", offline["app:limits:max"]);
            Assert.Equal("demo", offline["app:name"]);
            Assert.Null(offline["app:password"]);
        }
        finally
        {
            File.Delete(cache);
        }
    }
}
