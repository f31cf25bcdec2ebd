using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client.Configuration;

public sealed partial class ConfigClusterConfigurationProvider
{
    private int publishPending;

    /// <summary>
    /// The background loop: (re)load from the cluster when needed, then follow a watch from the
    /// loaded revision. A compacted or refused watch falls back to a full load.
    /// </summary>
    private async Task SyncAsync(long? revision, CancellationToken token)
    {
        var backoff = options.Client.RetryBackoff;
        var maxBackoff = TimeSpan.FromSeconds(30);
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (revision is null)
                {
                    revision = await LoadFromClusterAsync(token).ConfigureAwait(false);
                    ProviderLog.Loaded(logger, snapshot.Count, revision.Value);
                    OnReload();
                }

                backoff = options.Client.RetryBackoff;
                await client.WatchAsync(options.Prefix, change => ApplyAsync(change, token), revision, environment: null, watchHealth, token).ConfigureAwait(false);
                return; // cancelled
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Unreachable, compacted, refused, or a bug: start over with a full load later.
                watchHealth.Down();
                ProviderLog.SyncFailed(logger, e.GetType().Name, e.Message);
                revision = null;
            }

            try
            {
                await Task.Delay(CallRetrier.Jitter(backoff), options.Client.TimeProvider, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, maxBackoff.Ticks));
        }
    }

    /// <summary>
    /// Applies one change. A plain put carries its value; a delete, mask or secret change is
    /// re-read, because the effective value may now come from an ancestor environment and a
    /// secret's value is never in a watch.
    /// </summary>
    private async Task ApplyAsync(ConfigChange change, CancellationToken token)
    {
        if (change.Operation is Operation.Put or Operation.Rollback && !change.Secret && change.ValueJson is { } value)
        {
            lock (gate)
                snapshot.Set(change.Key, value, secret: false, change.Revision);
        }
        else
        {
            try
            {
                var current = await client.GetAsync(change.Key, token: token).ConfigureAwait(false);
                lock (gate)
                    snapshot.Set(change.Key, current.ValueJson, current.Secret, Math.Max(change.Revision, current.Revision));
            }
            catch (ConfigNotFoundException)
            {
                lock (gate)
                    snapshot.Remove(change.Key, change.Revision);
            }
            catch (Exception e) when (e is ConfigAccessDeniedException or ConfigUnavailableException)
            {
                // Keep the previous value; the next change of the key (or a full load) fixes it.
                ProviderLog.SecretUnreadable(logger, change.Key, e.GetType().Name);
                return;
            }
        }

        lock (gate)
            Revision = Math.Max(Revision, change.Revision);
        await SchedulePublishAsync(token).ConfigureAwait(false);
    }

    /// <summary>Publishes after <see cref="ConfigClusterConfigurationOptions.ReloadDelay"/>, once for all the changes that arrive meanwhile.</summary>
    private Task SchedulePublishAsync(CancellationToken token)
    {
        if (Interlocked.Exchange(ref publishPending, 1) == 1)
            return Task.CompletedTask;
        if (options.ReloadDelay <= TimeSpan.Zero)
        {
            Publish();
            return Task.CompletedTask;
        }

        _ = PublishLaterAsync(token);
        return Task.CompletedTask;
    }

    private async Task PublishLaterAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(options.ReloadDelay, options.Client.TimeProvider, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Publish();
    }

    /// <summary>Swaps in a new data dictionary (readers never see one being changed), writes the cache, and signals the reload.</summary>
    private void Publish()
    {
        Interlocked.Exchange(ref publishPending, 0);
        lock (gate)
        {
            Data = snapshot.ToConfiguration(includeSecrets: true, TrimmedPrefix);
            LoadedFromCache = false;
            WriteCache();
        }

        OnReload();
    }
}
