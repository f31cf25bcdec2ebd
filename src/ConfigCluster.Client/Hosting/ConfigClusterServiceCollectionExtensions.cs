using ConfigCluster.Client;
using ConfigCluster.Client.Configuration;
using ConfigCluster.Client.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>builder.Services.AddConfigClusterClient(...)</c> and <c>AddConfigClusterOptions&lt;T&gt;(...)</c>.</summary>
public static class ConfigClusterServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="ConfigClusterClient"/> for the application (a singleton: one gRPC
    /// channel, reused by every caller), logging through the application's
    /// <see cref="ILoggerFactory"/>. Its <see cref="ConfigClusterClientOptions"/> are bound from
    /// <paramref name="section"/> (<c>Endpoints</c>, <c>Token</c>, <c>Namespace</c>,
    /// <c>Environment</c>, timeouts) and checked when the host starts.
    /// </summary>
    /// <param name="section">Usually <c>builder.Configuration.GetSection("ConfigCluster")</c>.</param>
    /// <param name="configure">Runs after binding (e.g. to set <see cref="ConfigClusterClientOptions.ConfigureHttpHandler"/>).</param>
    public static IServiceCollection AddConfigClusterClient(this IServiceCollection services, IConfiguration section, Action<ConfigClusterClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var options = services.AddOptions<ConfigClusterClientOptions>().Bind(section);
        if (configure is not null)
            options.Configure(configure);
        return services.AddClientCore();
    }

    /// <summary>As <see cref="AddConfigClusterClient(IServiceCollection, IConfiguration, Action{ConfigClusterClientOptions})"/>, with the options set in code only.</summary>
    public static IServiceCollection AddConfigClusterClient(this IServiceCollection services, Action<ConfigClusterClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ConfigClusterClientOptions>().Configure(configure);
        return services.AddClientCore();
    }

    private static IServiceCollection AddClientCore(this IServiceCollection services)
    {
        services.AddOptions<ConfigClusterClientOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConfigClusterClientOptions>, ClientOptionsValidator>());
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<ConfigClusterClientOptions>>().Value;
            var loggers = provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            HostingLog.ClientCreated(loggers.CreateLogger<ConfigClusterClient>(), options.Endpoints.Count, options.Namespace, options.Environment);
            return new ConfigClusterClient(options, loggers);
        });
        return services;
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to the configuration section of the ConfigCluster keys
    /// under <paramref name="keyPrefix"/> (<c>"shop."</c> binds the key <c>shop.maxItems</c>, seen
    /// as <c>shop:maxItems</c>, to the property <c>MaxItems</c>: names match case-insensitively),
    /// so that <see cref="IOptionsMonitor{TOptions}"/> follows
    /// every change the <c>AddConfigCluster</c> configuration source reloads. Validation added on
    /// the returned builder (<c>Validate</c>, <c>ValidateDataAnnotations</c>,
    /// <c>ValidateOnStart</c>) guards every reload: a changed value that fails it is not applied
    /// and is logged, and the last valid value stays (the change listeners are then called with
    /// that kept value). Options are validated whole: while one setting is invalid, changes to the
    /// others are held back too, until a change makes the whole valid again.
    /// </summary>
    /// <param name="keyPrefix">
    /// The prefix as the configuration sees it: the ConfigCluster key prefix (dots or colons,
    /// trailing separator optional), after any <see cref="ConfigClusterConfigurationOptions.TrimPrefix"/>.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="keyPrefix"/> is empty.</exception>
    public static OptionsBuilder<TOptions> AddConfigClusterOptions<TOptions>(this IServiceCollection services, string keyPrefix)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        var section = ConfigKeyMapper.ToConfigurationKey(keyPrefix).TrimEnd(':');
        ArgumentException.ThrowIfNullOrWhiteSpace(section, nameof(keyPrefix));
        services.TryAddSingleton<IOptionsFactory<TOptions>>(static provider => new LastGoodOptionsFactory<TOptions>(
            provider.GetServices<IConfigureOptions<TOptions>>(),
            provider.GetServices<IPostConfigureOptions<TOptions>>(),
            provider.GetServices<IValidateOptions<TOptions>>(),
            (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("ConfigCluster.Client.Hosting.Options")));
        return services.AddOptions<TOptions>().BindConfiguration(section);
    }

    /// <summary>Runs <see cref="ConfigClusterClientOptions"/>' own checks as options validation, so a bad setting fails at start with its name.</summary>
    private sealed class ClientOptionsValidator : IValidateOptions<ConfigClusterClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, ConfigClusterClientOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail(e.Message);
            }
        }
    }
}
