using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace ConfigCluster.Client.Configuration;

/// <summary>
/// Loads a namespace/environment from ConfigCluster into <c>IConfiguration</c> and reloads it
/// when the cluster reports a change (so <c>IOptionsMonitor&lt;T&gt;.OnChange</c> fires). When no
/// node answers at start it loads the last-known-good copy from <see cref="ConfigClusterConfigurationOptions.CacheFile"/>.
/// </summary>
public sealed class ConfigClusterConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ConfigClusterConfigurationOptions options;
    private readonly ConfigClusterClient client;
    private readonly CancellationTokenSource stopping = new();
    private Task? watching;

    public ConfigClusterConfigurationProvider(ConfigClusterConfigurationOptions options)
    {
        this.options = options;
        client = new ConfigClusterClient(options.Client);
    }

    /// <summary>True when the data came from the cache file because the cluster was unreachable.</summary>
    public bool LoadedFromCache { get; private set; }

    public override void Load()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        timeout.CancelAfter(options.StartupTimeout);
        long revision = 0;
        try
        {
            revision = LoadFromClusterAsync(timeout.Token).GetAwaiter().GetResult();
            LoadedFromCache = false;
        }
        catch (Exception e) when (e is ConfigClusterException or OperationCanceledException)
        {
            Data = LastKnownGood.Read(options.CacheFile) ?? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            LoadedFromCache = true;
        }

        if (options.ReloadOnChange && watching is null)
            watching = WatchAsync(LoadedFromCache ? null : revision, stopping.Token);
    }

    private async Task<long> LoadFromClusterAsync(CancellationToken token)
    {
        var status = await client.StatusAsync(token).ConfigureAwait(false);
        var items = await client.ListAsync(options.Prefix, token: token).ConfigureAwait(false);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in items)
        {
            var value = item.Secret
                ? (await client.GetAsync(item.Path.Key, token: token).ConfigureAwait(false)).ValueJson
                : item.ValueJson;
            if (value.Length > 0)
                ConfigKeyMapper.Add(data, item.Path.Key, value);
        }

        Data = data;
        LastKnownGood.Write(options.CacheFile, data, items.Where(static i => i.Secret).Select(static i => ConfigKeyMapper.ToConfigurationKey(i.Path.Key)));
        return Math.Max(status.Revision, items.Count == 0 ? 0 : items.Max(static i => i.Revision));
    }

    private async Task WatchAsync(long? fromRevision, CancellationToken token)
    {
        try
        {
            await client.WatchAsync(options.Prefix, async _ =>
            {
                try
                {
                    await LoadFromClusterAsync(token).ConfigureAwait(false);
                    OnReload();
                }
                catch (ConfigClusterException)
                {
                    // Keep the current data; the next change retries.
                }
            }, fromRevision, token: token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ConfigClusterException)
        {
            // Stopped, or the watch cannot continue; the loaded data stays.
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        try
        {
            watching?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        stopping.Dispose();
        client.Dispose();
    }
}

/// <summary>The last-known-good cache: plain JSON of the non-secret entries.</summary>
public static class LastKnownGood
{
    public static void Write(string? file, IDictionary<string, string?> data, IEnumerable<string> secretKeys)
    {
        if (file is null)
            return;
        var secrets = secretKeys.ToList();
        var safe = data.Where(kv => !secrets.Any(s => kv.Key.Equals(s, StringComparison.OrdinalIgnoreCase) || kv.Key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
            .ToDictionary(static kv => kv.Key, static kv => kv.Value);
        var temp = file + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        File.WriteAllText(temp, JsonSerializer.Serialize(safe));
        File.Move(temp, file, overwrite: true);
    }

    public static Dictionary<string, string?>? Read(string? file)
    {
        if (file is null || !File.Exists(file))
            return null;
        try
        {
            var data = JsonSerializer.Deserialize<Dictionary<string, string?>>(File.ReadAllText(file));
            return data is null ? null : new Dictionary<string, string?>(data, StringComparer.OrdinalIgnoreCase);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
