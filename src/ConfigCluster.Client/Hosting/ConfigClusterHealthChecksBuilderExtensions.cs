using ConfigCluster.Client.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>builder.Services.AddHealthChecks().AddConfigClusterHealthCheck()</c>.</summary>
public static class ConfigClusterHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the application's ConfigCluster configuration sources: Degraded while one
    /// serves its last-known-good cache or its watch has been down longer than
    /// <see cref="ConfigClusterHealthCheckOptions.WatchDownThreshold"/> (default 30 s), Unhealthy
    /// (<paramref name="failureStatus"/>) when the configuration has no ConfigCluster source.
    /// </summary>
    /// <param name="name">The check's name in the report. Default <c>configcluster</c>.</param>
    /// <param name="configure">Adjusts the threshold or the clock.</param>
    /// <param name="failureStatus">Reported when there is no ConfigCluster source. Default Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>ready</c>).</param>
    public static IHealthChecksBuilder AddConfigClusterHealthCheck(this IHealthChecksBuilder builder, string name = "configcluster", Action<ConfigClusterHealthCheckOptions>? configure = null,
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = new ConfigClusterHealthCheckOptions();
        configure?.Invoke(options);
        if (options.WatchDownThreshold < TimeSpan.Zero)
            throw new ArgumentException($"ConfigClusterHealthCheckOptions.WatchDownThreshold must not be negative (was {options.WatchDownThreshold})", nameof(configure));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(configure));
        return builder.Add(new HealthCheckRegistration(name, provider => new ConfigClusterHealthCheck(provider.GetRequiredService<IConfiguration>(), options), failureStatus, tags));
    }
}
