using ConfigCluster.Client.Configuration;
using ConfigCluster.Client.Watching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace ConfigCluster.Client.Tests.Hosting;

/// <summary>AddConfigClusterHealthCheck and the watch's up/down record (no cluster: an unreachable endpoint).</summary>
public sealed class HealthCheckTests
{
    private static async Task<HealthReport> CheckAsync(IConfiguration configuration)
    {
        using var services = new ServiceCollection()
            .AddSingleton(configuration)
            .AddLogging()
            .AddHealthChecks().AddConfigClusterHealthCheck().Services
            .BuildServiceProvider();
        return await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
    }

    [Fact]
    public async Task NoConfigClusterSource_IsUnhealthy()
    {
        var report = await CheckAsync(new ConfigurationBuilder().AddInMemoryCollection().Build());
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Contains("AddConfigCluster", report.Entries["configcluster"].Description);
    }

    [Fact]
    public async Task ServingTheLastKnownGoodCache_IsDegraded()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"cc-health-{Guid.NewGuid():N}.json");
        LastKnownGoodCache.Write(cache, new Dictionary<string, string?> { ["shop:maxItems"] = "10" });
        try
        {
            // Nothing listens on port 1: the start falls back to the cache.
            var configuration = new ConfigurationBuilder().AddConfigCluster(o =>
            {
                o.Endpoints.Add(new Uri("http://127.0.0.1:1"));
                o.Client.OperationTimeout = TimeSpan.FromSeconds(1);
                o.StartupTimeout = TimeSpan.FromSeconds(1);
                o.ReloadOnChange = false;
                o.CacheFile = cache;
            }).Build();
            using var _ = configuration as IDisposable;
            Assert.Equal("10", configuration["shop:maxItems"]);

            var report = await CheckAsync(configuration);
            Assert.Equal(HealthStatus.Degraded, report.Status);
            Assert.Contains("last-known-good cache", report.Entries["configcluster"].Description);
            Assert.Equal(true, report.Entries["configcluster"].Data["loadedFromCache"]);
        }
        finally
        {
            File.Delete(cache);
        }
    }

    [Fact]
    public void WatchHealth_RecordsWhenItWentDown_AndClearsOnAMessage()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var health = new WatchHealth(time);
        Assert.Equal(time.GetUtcNow(), health.DownSince); // nothing heard yet

        health.Up();
        Assert.Null(health.DownSince);
        time.Advance(TimeSpan.FromSeconds(5));
        health.Down();
        var down = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(5));
        health.Down(); // still the first time it went down
        Assert.Equal(down, health.DownSince);
        health.Up();
        Assert.Null(health.DownSince);
    }
}
