using ConfigCluster.Client.Watching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client.Configuration;

/// <summary>
/// Loads the effective view of one namespace/environment (keys under a prefix) from ConfigCluster
/// into <c>IConfiguration</c>, then follows a watch and publishes each change with
/// <see cref="ConfigurationProvider.OnReload"/> (so <c>IOptionsMonitor&lt;T&gt;.OnChange</c> fires).
/// When no node answers at start it serves the last-known-good cache file and keeps trying in the
/// background; the application is never failed by an unreachable cluster.
/// </summary>
public sealed partial class ConfigClusterConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ConfigClusterConfigurationOptions options;
    private readonly ConfigClusterClient client;
    private readonly ConfigSnapshot snapshot = new();
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger logger;
    private readonly WatchHealth watchHealth;
    private Task? syncing;
    private int disposed;

    /// <summary>Creates the provider; nothing is loaded until <see cref="Load"/>.</summary>
    /// <exception cref="ArgumentException">A client setting is invalid.</exception>
    public ConfigClusterConfigurationProvider(ConfigClusterConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        logger = options.LoggerFactory.CreateLogger<ConfigClusterConfigurationProvider>();
        client = new ConfigClusterClient(options.Client, options.LoggerFactory);
        watchHealth = new WatchHealth(options.Client.TimeProvider);
    }

    /// <summary>True while the data came from the cache file (or is empty) because the cluster could not be reached.</summary>
    public bool LoadedFromCache { get; private set; }

    /// <summary>The cluster revision the data reflects at least (0 before the first load from the cluster).</summary>
    public long Revision { get; private set; }

    /// <summary>
    /// Since when the provider has not heard from the cluster (not loaded yet, or the watch that
    /// keeps the data current broke and has not resumed), or null while it hears (a load, changes,
    /// or the watch's periodic progress). Meaningless when
    /// <see cref="ConfigClusterConfigurationOptions.ReloadOnChange"/> is false (there is no watch).
    /// </summary>
    public DateTimeOffset? WatchDownSince => watchHealth.DownSince;

    /// <summary>The settings this provider was built with.</summary>
    public ConfigClusterConfigurationOptions Options => options;

    /// <summary>Loads from the cluster, or from the cache when no node answers within the startup timeout; then starts the watch.</summary>
    public override void Load()
    {
        long? revision = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
        {
            timeout.CancelAfter(options.StartupTimeout);
            try
            {
                revision = LoadFromClusterAsync(timeout.Token).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is ConfigClusterException or OperationCanceledException)
            {
                var cached = LastKnownGoodCache.Read(options.CacheFile);
                ProviderLog.UsingCache(logger, options.CacheFile ?? "(none)", cached?.Count ?? 0, e.Message);
                lock (gate)
                {
                    Data = cached ?? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                    LoadedFromCache = true;
                }
            }
        }

        if (options.ReloadOnChange && syncing is null && Volatile.Read(ref disposed) == 0)
            syncing = Task.Run(() => SyncAsync(revision, stopping.Token));
    }

    /// <summary>Stops the watch and closes the client.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        stopping.Cancel();
        try
        {
            syncing?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation; anything else was logged there.
        }

        stopping.Dispose();
        client.Dispose();
    }

    /// <summary>Reads everything under the prefix (secrets by explicit get), replaces the data, writes the cache; returns the revision to watch from.</summary>
    private async Task<long> LoadFromClusterAsync(CancellationToken token)
    {
        var listing = await client.ListEffectiveAsync(options.Prefix, token: token).ConfigureAwait(false);
        var entries = new List<KeyValuePair<string, ConfigSnapshot.Entry>>(listing.Items.Count);
        foreach (var item in listing.Items)
        {
            var value = item.ValueJson;
            if (item.Secret)
            {
                // Lists never carry secret values; an explicit get does, to a token allowed to read it.
                try
                {
                    value = (await client.GetAsync(item.Path.Key, token: token).ConfigureAwait(false)).ValueJson;
                }
                catch (Exception e) when (e is ConfigAccessDeniedException or ConfigNotFoundException or ConfigUnavailableException)
                {
                    ProviderLog.SecretUnreadable(logger, item.Path.Key, e.GetType().Name);
                    continue;
                }
            }

            if (value.Length > 0)
                entries.Add(new(item.Path.Key, new ConfigSnapshot.Entry(value, item.Secret, item.Revision)));
        }

        lock (gate)
        {
            snapshot.Replace(entries);
            Data = snapshot.ToConfiguration(includeSecrets: true, TrimmedPrefix);
            LoadedFromCache = false;
            Revision = listing.Revision;
            WriteCache();
        }

        watchHealth.Up(); // just heard from the cluster; the watch that follows keeps it current
        return listing.Revision;
    }

    private string TrimmedPrefix => options.TrimPrefix ? options.Prefix : "";

    /// <summary>Writes the non-secret entries to the cache file; a failure is logged, never thrown. Call under <see cref="gate"/>.</summary>
    private void WriteCache()
    {
        if (options.CacheFile is not { Length: > 0 } file)
            return;
        try
        {
            LastKnownGoodCache.Write(file, snapshot.ToConfiguration(includeSecrets: false, TrimmedPrefix));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ProviderLog.CacheWriteFailed(logger, file, e.Message);
        }
    }
}
