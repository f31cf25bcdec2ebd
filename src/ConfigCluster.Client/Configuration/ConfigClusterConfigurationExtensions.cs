using ConfigCluster.Client;
using ConfigCluster.Client.Configuration;

namespace Microsoft.Extensions.Configuration;

/// <summary><c>builder.Configuration.AddConfigCluster(...)</c>.</summary>
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

    /// <summary>
    /// As <see cref="AddConfigCluster(IConfigurationBuilder, Action{ConfigClusterConfigurationOptions})"/>,
    /// with the settings bound from <paramref name="section"/> (usually
    /// <c>builder.Configuration.GetSection("ConfigCluster")</c>, so they can come from
    /// <c>appsettings.json</c> or <c>ConfigCluster__Endpoints__0</c>-style environment variables):
    /// the <see cref="ConfigClusterClientOptions"/> names (<c>Endpoints</c>, <c>Token</c>,
    /// <c>Namespace</c>, <c>Environment</c>, <c>OperationTimeout</c>, ...) and the provider's own
    /// (<c>Prefix</c>, <c>TrimPrefix</c>, <c>CacheFile</c>, <c>ReloadOnChange</c>,
    /// <c>StartupTimeout</c>, <c>ReloadDelay</c>). <paramref name="configure"/> runs after binding.
    /// </summary>
    /// <exception cref="ArgumentException">A client setting is invalid (the message names it).</exception>
    /// <exception cref="InvalidOperationException">A value in the section cannot be converted to its setting's type.</exception>
    public static IConfigurationBuilder AddConfigCluster(this IConfigurationBuilder builder, IConfiguration section, Action<ConfigClusterConfigurationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return builder.AddConfigCluster(options =>
        {
            section.Bind(options.Client);
            var provider = new ProviderSettings
            {
                Prefix = options.Prefix,
                TrimPrefix = options.TrimPrefix,
                CacheFile = options.CacheFile,
                ReloadOnChange = options.ReloadOnChange,
                StartupTimeout = options.StartupTimeout,
                ReloadDelay = options.ReloadDelay,
            };
            section.Bind(provider);
            options.Prefix = provider.Prefix;
            options.TrimPrefix = provider.TrimPrefix;
            options.CacheFile = provider.CacheFile;
            options.ReloadOnChange = provider.ReloadOnChange;
            options.StartupTimeout = provider.StartupTimeout;
            options.ReloadDelay = provider.ReloadDelay;
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// The provider's own settings as bound from configuration (bound apart from the client's,
    /// because binding the options object whole would add the endpoints twice through its
    /// <see cref="ConfigClusterConfigurationOptions.Endpoints"/> shortcut).
    /// </summary>
    private sealed class ProviderSettings
    {
        public string Prefix { get; set; } = "";

        public bool TrimPrefix { get; set; }

        public string? CacheFile { get; set; }

        public bool ReloadOnChange { get; set; }

        public TimeSpan StartupTimeout { get; set; }

        public TimeSpan ReloadDelay { get; set; }
    }
}
