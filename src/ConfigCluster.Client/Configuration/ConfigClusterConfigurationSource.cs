using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Client.Configuration;

/// <summary>The configuration source; builds one <see cref="ConfigClusterConfigurationProvider"/>.</summary>
public sealed class ConfigClusterConfigurationSource(ConfigClusterConfigurationOptions options) : IConfigurationSource
{
    /// <summary>The settings the provider is built with.</summary>
    public ConfigClusterConfigurationOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConfigClusterConfigurationProvider(Options);
}
