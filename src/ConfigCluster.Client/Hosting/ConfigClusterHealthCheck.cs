using ConfigCluster.Client.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConfigCluster.Client.Hosting;

/// <summary>
/// Reports how current the application's ConfigCluster configuration is: Healthy while every
/// ConfigCluster source was loaded from the cluster and its watch hears from it; Degraded while a
/// source serves its last-known-good cache (the cluster was unreachable at start and has not been
/// reached since) or its watch has not heard from the cluster for longer than
/// <see cref="ConfigClusterHealthCheckOptions.WatchDownThreshold"/>; Unhealthy when the
/// application's configuration has no ConfigCluster source at all (a wiring mistake).
/// </summary>
internal sealed class ConfigClusterHealthCheck(IConfiguration configuration, ConfigClusterHealthCheckOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var providers = Find(configuration).ToList();
        if (providers.Count == 0)
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, "no ConfigCluster configuration source (call builder.Configuration.AddConfigCluster(...))"));

        var now = options.TimeProvider.GetUtcNow();
        var problems = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 0; i < providers.Count; i++)
        {
            var provider = providers[i];
            var name = providers.Count == 1 ? "" : $"{i}.";
            var prefix = provider.Options.Prefix.Length == 0 ? "(all keys)" : provider.Options.Prefix;
            data[name + "prefix"] = prefix;
            data[name + "revision"] = provider.Revision;
            data[name + "loadedFromCache"] = provider.LoadedFromCache;
            if (provider.LoadedFromCache)
                problems.Add($"'{prefix}' is served from the last-known-good cache: the cluster has not been reached since start");
            if (provider.Options.ReloadOnChange && provider.WatchDownSince is { } since)
            {
                var down = now - since;
                data[name + "watchDownSeconds"] = Math.Round(Math.Max(0, down.TotalSeconds), 1);
                if (down > options.WatchDownThreshold)
                    problems.Add($"the watch on '{prefix}' has not heard from the cluster for {down.TotalSeconds:0} s (threshold {options.WatchDownThreshold.TotalSeconds:0} s)");
            }
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("configuration loaded from the cluster and kept current", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data));
    }

    /// <summary>The ConfigCluster providers of a configuration, also inside chained configurations.</summary>
    internal static IEnumerable<ConfigClusterConfigurationProvider> Find(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root)
            yield break;
        foreach (var provider in root.Providers)
        {
            if (provider is ConfigClusterConfigurationProvider ours)
            {
                yield return ours;
            }
            else if (provider is ChainedConfigurationProvider chained)
            {
                foreach (var inner in Find(chained.Configuration))
                    yield return inner;
            }
        }
    }
}
