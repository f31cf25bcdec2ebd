using ConfigCluster.Client.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConfigCluster.Client.Tests.Hosting;

/// <summary>AddConfigClusterClient and AddConfigCluster(section): settings bound from configuration.</summary>
public sealed class ClientRegistrationTests
{
    private static IConfigurationSection Section(Dictionary<string, string?> values)
        => new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("ConfigCluster");

    [Fact]
    public void AddConfigClusterClient_FromASection_RegistersOneSharedClientWithTheBoundSettings()
    {
        var section = Section(new()
        {
            ["ConfigCluster:Endpoints:0"] = "http://127.0.0.1:7012",
            ["ConfigCluster:Endpoints:1"] = "http://127.0.0.1:7022",
            ["ConfigCluster:Token"] = "cc_token",
            ["ConfigCluster:Environment"] = "prod",
            ["ConfigCluster:OperationTimeout"] = "00:00:05",
        });
        using var services = new ServiceCollection().AddLogging().AddConfigClusterClient(section, o => o.Namespace = "team-a").BuildServiceProvider();

        var client = services.GetRequiredService<ConfigClusterClient>();
        Assert.Same(client, services.GetRequiredService<ConfigClusterClient>());
        Assert.Equal([new Uri("http://127.0.0.1:7012"), new Uri("http://127.0.0.1:7022")], client.Options.Endpoints);
        Assert.Equal("cc_token", client.Options.Token);
        Assert.Equal("prod", client.Options.Environment);
        Assert.Equal("team-a", client.Options.Namespace);
        Assert.Equal(TimeSpan.FromSeconds(5), client.Options.OperationTimeout);
    }

    [Fact]
    public void AddConfigClusterClient_WithoutEndpoints_FailsValidationNamingTheSetting()
    {
        using var services = new ServiceCollection().AddConfigClusterClient(Section(new() { ["ConfigCluster:Token"] = "t" })).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ConfigClusterClient>());
        Assert.Contains("Endpoints", error.Message);
    }

    [Fact]
    public void AddConfigCluster_FromASection_BindsTheClientAndTheProviderSettings()
    {
        var section = Section(new()
        {
            ["ConfigCluster:Endpoints:0"] = "http://127.0.0.1:7012",
            ["ConfigCluster:Token"] = "cc_token",
            ["ConfigCluster:Prefix"] = "shop.",
            ["ConfigCluster:CacheFile"] = "/tmp/shop.json",
            ["ConfigCluster:StartupTimeout"] = "00:00:03",
        });
        var builder = new ConfigurationBuilder().AddConfigCluster(section, o => o.TrimPrefix = true);

        var options = builder.Sources.OfType<ConfigClusterConfigurationSource>().Single().Options;
        Assert.Equal([new Uri("http://127.0.0.1:7012")], options.Endpoints); // once, not twice
        Assert.Equal("cc_token", options.Token);
        Assert.Equal("shop.", options.Prefix);
        Assert.True(options.TrimPrefix);
        Assert.Equal("/tmp/shop.json", options.CacheFile);
        Assert.Equal(TimeSpan.FromSeconds(3), options.StartupTimeout);
        Assert.True(options.ReloadOnChange); // defaults stay when the section does not set them
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ReloadDelay);
    }

    [Fact]
    public void AddConfigCluster_FromASectionWithABadEndpoint_Throws()
    {
        var section = Section(new() { ["ConfigCluster:Endpoints:0"] = "ftp://node1" });
        Assert.Throws<ArgumentException>(() => new ConfigurationBuilder().AddConfigCluster(section));
    }
}
