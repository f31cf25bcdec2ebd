using ConfigCluster.Client.Configuration;

namespace Microsoft.Extensions.Configuration;

/// <summary><c>builder.Configuration.AddConfigCluster(options => ...)</c>.</summary>
public static class ConfigClusterConfigurationExtensions
{
    /// <summary>
    /// Adds the keys under <see cref="ConfigClusterConfigurationOptions.Prefix"/> as configuration
    /// (<c>database.host</c> becomes <c>database:host</c>), reloaded live as they change.
    /// </summary>
    /// <exception cref="ArgumentException">A client setting is invalid (the message names it).</exception>
    public static IConfigurationBuilder AddConfigCluster(this IConfigurationBuilder builder, Action<ConfigClusterConfigurationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ConfigClusterConfigurationOptions();
        configure(options);
        options.Client.Validate();
        return builder.Add(new ConfigClusterConfigurationSource(options));
    }
}
