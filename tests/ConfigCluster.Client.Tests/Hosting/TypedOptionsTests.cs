using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConfigCluster.Client.Tests.Hosting;

/// <summary>AddConfigClusterOptions: typed options that follow reloads and keep their last valid value.</summary>
public sealed class TypedOptionsTests
{
    public sealed class ShopSettings
    {
        public int MaxItems { get; set; }

        public string Greeting { get; set; } = "";
    }

    private static (IConfigurationRoot Configuration, ServiceProvider Services, CapturingLoggerProvider Logs) Build(string maxItems)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["shop:maxItems"] = maxItems,
            ["shop:greeting"] = "hello",
        }).Build();
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.AddProvider(logs));
        services.AddConfigClusterOptions<ShopSettings>("shop.")
            .Validate(static s => s.MaxItems is > 0 and <= 1000, "MaxItems must be between 1 and 1000");
        return (configuration, services.BuildServiceProvider(), logs);
    }

    private static void Change(IConfigurationRoot configuration, string key, string value)
    {
        configuration[key] = value;
        configuration.Reload(); // as the ConfigCluster provider's OnReload does
    }

    [Fact]
    public void Reload_FailingValidation_KeepsTheLastValidValueAndLogsWithoutTheValue()
    {
        var (configuration, services, logs) = Build("10");
        using var _ = services;
        var monitor = services.GetRequiredService<IOptionsMonitor<ShopSettings>>();
        Assert.Equal(10, monitor.CurrentValue.MaxItems);
        var seen = new List<int>();
        using var listener = monitor.OnChange(s => seen.Add(s.MaxItems));

        Change(configuration, "shop:maxItems", "5000");
        Assert.Equal(10, monitor.CurrentValue.MaxItems);
        Assert.Contains("failed validation and was not applied", logs.Text);
        Assert.Contains("MaxItems must be between 1 and 1000", logs.Text);
        Assert.DoesNotContain("5000", logs.Text);

        Change(configuration, "shop:maxItems", "30");
        Assert.Equal(30, monitor.CurrentValue.MaxItems);
        Assert.Equal([10, 30], seen); // listeners see the kept value, then the new valid one
    }

    [Fact]
    public void Reload_ThatCannotBeBound_KeepsTheLastValidValueAndLogsOnlyTheKind()
    {
        var (configuration, services, logs) = Build("10");
        using var _ = services;
        var monitor = services.GetRequiredService<IOptionsMonitor<ShopSettings>>();
        Assert.Equal(10, monitor.CurrentValue.MaxItems);

        Change(configuration, "shop:maxItems", "not-a-number-s3cr3t");
        Assert.Equal(10, monitor.CurrentValue.MaxItems);
        Assert.Contains("could not be bound (InvalidOperationException)", logs.Text);
        Assert.DoesNotContain("s3cr3t", logs.Text);
    }

    [Fact]
    public void FirstBuild_FailingValidation_Throws()
    {
        var (_, services, _) = Build("0");
        using var _ = services;
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptionsMonitor<ShopSettings>>().CurrentValue);
        Assert.Contains("MaxItems must be between 1 and 1000", error.Message);
    }

    [Fact]
    public void KeyPrefix_MayUseDotsOrColons_AndMustNotBeEmpty()
    {
        foreach (var prefix in (string[])["shop.", "shop", "shop:"])
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["shop:maxItems"] = "7" }).Build();
            var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
            services.AddConfigClusterOptions<ShopSettings>(prefix);
            using var provider = services.BuildServiceProvider();
            Assert.Equal(7, provider.GetRequiredService<IOptions<ShopSettings>>().Value.MaxItems);
        }

        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddConfigClusterOptions<ShopSettings>("."));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddConfigClusterOptions<ShopSettings>(""));
    }
}
