using ConfigCluster.Server.Tests.Harness;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConfigCluster.Server.Tests;

/// <summary>The client's hosting integration against real nodes: the health check follows the watch.</summary>
public sealed class ClientHostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task HealthCheck_WatchDownLongerThanTheThreshold_IsDegraded_AndHealthyAgainWhenTheClusterIsBack()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster[0].Http.MustPutAsync("hosted.value", 1);
        var configuration = new ConfigurationBuilder().AddConfigCluster(o =>
        {
            foreach (var node in cluster.Nodes)
                o.Endpoints.Add(new Uri(node.GrpcUrl));
            o.Token = NodeProcess.AdminToken;
            o.Prefix = "hosted.";
        }).Build();
        using var disposeConfiguration = configuration as IDisposable;
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddHealthChecks().AddConfigClusterHealthCheck(configure: o => o.WatchDownThreshold = TimeSpan.FromSeconds(1)).Services
            .BuildServiceProvider();
        var health = services.GetRequiredService<HealthCheckService>();
        Assert.Equal("1", configuration["hosted:value"]);
        await Eventually.WaitAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Healthy, Timeout, "healthy once the watch hears from the cluster");

        for (var i = 0; i < cluster.Nodes.Count; i++)
            await cluster.KillNodeAsync(i);
        HealthReport? report = null;
        await Eventually.WaitAsync(async () => (report = await health.CheckHealthAsync()).Status == HealthStatus.Degraded, Timeout, "degraded once the watch is down past the threshold");
        Assert.Contains("has not heard from the cluster", report!.Entries["configcluster"].Description);
        Assert.Equal("1", configuration["hosted:value"]); // still serving what it had

        for (var i = 0; i < cluster.Nodes.Count; i++)
            cluster[i].Start(cluster.Members);
        await Eventually.WaitAsync(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Healthy, Timeout, "healthy again once the nodes are back");
    }
}
