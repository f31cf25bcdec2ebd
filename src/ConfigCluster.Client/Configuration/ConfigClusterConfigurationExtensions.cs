using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Client.Configuration;

/// <summary><c>builder.Configuration.AddConfigCluster(options => ...)</c>.</summary>
public static class ConfigClusterConfigurationExtensions
{
    public static IConfigurationBuilder AddConfigCluster(this IConfigurationBuilder builder, Action<ConfigClusterConfigurationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ConfigClusterConfigurationOptions();
        configure(options);
        return builder.Add(new ConfigClusterConfigurationSource(options));
    }
}

/// <summary>The configuration source; builds one provider.</summary>
public sealed class ConfigClusterConfigurationSource(ConfigClusterConfigurationOptions options) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConfigClusterConfigurationProvider(options);
}
