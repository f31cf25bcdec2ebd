using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client.Configuration;

/// <summary>Source-generated log messages of the configuration provider (event ids 1100–1199). Values are never logged.</summary>
internal static partial class ProviderLog
{
    [LoggerMessage(1100, LogLevel.Warning, "ConfigCluster unreachable at start ({Reason}); serving {Count} entries from the cache file {File} and retrying in the background")]
    public static partial void UsingCache(ILogger logger, string file, int count, string reason);

    [LoggerMessage(1101, LogLevel.Information, "Loaded {Count} keys from ConfigCluster at revision {Revision}")]
    public static partial void Loaded(ILogger logger, int count, long revision);

    [LoggerMessage(1102, LogLevel.Warning, "ConfigCluster sync interrupted ({Kind}: {Reason}); reloading")]
    public static partial void SyncFailed(ILogger logger, string kind, string reason);

    [LoggerMessage(1103, LogLevel.Warning, "Could not read key '{Key}' ({Kind}); keeping its previous value")]
    public static partial void SecretUnreadable(ILogger logger, string key, string kind);

    [LoggerMessage(1104, LogLevel.Warning, "Could not write the cache file {File}: {Reason}")]
    public static partial void CacheWriteFailed(ILogger logger, string file, string reason);
}
