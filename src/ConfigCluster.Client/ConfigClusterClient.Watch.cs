using ConfigCluster.Client.Watching;
using ConfigCluster.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    /// <summary>
    /// Calls <paramref name="onChange"/> for every change of <paramref name="keyOrPrefix"/> (a
    /// prefix when it ends with '.' or '/' or is empty), in revision order, exactly once each, until
    /// <paramref name="token"/> is cancelled; the returned task then completes. When the node
    /// serving the watch dies or ends the stream, the watch resumes on another node from the last
    /// revision it delivered. Callbacks run one at a time; an exception thrown by one ends the watch.
    /// </summary>
    /// <param name="startRevision">
    /// Deliver the changes after this revision (replayed from history first). Null (the default)
    /// starts from the serving node's current revision.
    /// </param>
    /// <param name="environment">Overrides <see cref="ConfigClusterClientOptions.Environment"/>; changes to inherited keys are included.</param>
    /// <exception cref="ConfigCompactedException">The start (or resume) revision is older than the cluster keeps.</exception>
    /// <exception cref="ConfigAccessDeniedException">The token may not watch this key or prefix.</exception>
    /// <exception cref="ConfigValidationException">The key or prefix is invalid.</exception>
    public Task WatchAsync(string keyOrPrefix, Func<ConfigChange, Task> onChange, long? startRevision = null, string? environment = null, CancellationToken token = default)
        => WatchAsync(keyOrPrefix, onChange, startRevision, environment, health: null, token);

    /// <summary>As the public overload; <paramref name="health"/> learns when the stream hears from the cluster and when it breaks.</summary>
    internal async Task WatchAsync(string keyOrPrefix, Func<ConfigChange, Task> onChange, long? startRevision, string? environment, WatchHealth? health, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(keyOrPrefix);
        ArgumentNullException.ThrowIfNull(onChange);
        var template = new WatchRequest
        {
            Namespace = options.Namespace,
            Environment = environment ?? options.Environment,
            ProgressIntervalMs = (int)Math.Clamp(options.WatchProgressInterval.TotalMilliseconds, 50, int.MaxValue),
        };
        if (keyOrPrefix.Length == 0 || keyOrPrefix.EndsWith('.') || keyOrPrefix.EndsWith('/'))
            template.Prefix = keyOrPrefix;
        else
            template.Key = keyOrPrefix;

        try
        {
            // "From now on" is pinned to a revision first, so that a stream that breaks before
            // its first message resumes without a gap.
            var start = startRevision ?? await BaselineAsync(keyOrPrefix, token).ConfigureAwait(false);
            var watch = new ResumableWatch((request, callToken) => Watches.Watch(request, cancellationToken: callToken), template, onChange, options, logger, health);
            await watch.RunAsync(new WatchCursor(start), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped by the caller: the watch is over.
        }
    }

    /// <summary>As <see cref="WatchAsync(string, Func{ConfigChange, Task}, long?, string?, CancellationToken)"/> with a synchronous callback.</summary>
    public Task WatchAsync(string keyOrPrefix, Action<ConfigChange> onChange, long? startRevision = null, string? environment = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        return WatchAsync(keyOrPrefix, change =>
        {
            onChange(change);
            return Task.CompletedTask;
        }, startRevision, environment, token);
    }

    private async Task<long> BaselineAsync(string target, CancellationToken token)
    {
        while (true)
        {
            try
            {
                return (await StatusAsync(token).ConfigureAwait(false)).Revision;
            }
            catch (ConfigUnavailableException e)
            {
                // A watch outlives outages: keep trying until the caller stops it.
                ClientLog.WatchBaselineFailed(logger, target, e);
                await Task.Delay(options.MaxRetryBackoff, options.TimeProvider, token).ConfigureAwait(false);
            }
        }
    }
}
