using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Faster;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    // The request-path reads. A record evicted from FASTER's memory is read with its asynchronous
    // I/O, so a cold read parks the request instead of a thread-pool thread. Each holds a
    // reference to the current generation across its awaits, so a snapshot install that swaps
    // the FASTER instance meanwhile waits for it to finish before disposing the old one.

    /// <inheritdoc/>
    public async ValueTask<StoredVersion?> GetAsync(KeyPath path, long version, CancellationToken token)
    {
        using var lease = AcquireView();
        return await GetCoreAsync(lease.View.Instance, path, version, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<StoredVersion>> GetChangesAsync(long atRevision, CancellationToken token)
    {
        if (atRevision < 1)
            return [];
        using var lease = AcquireView();
        var instance = lease.View.Instance;
        if (await instance.ReadAsync(RecordKeys.Change(atRevision), token).ConfigureAwait(false) is not { Length: > 0 } bytes) // none, or dropped with compacted history
            return [];
        var changes = new List<StoredVersion>(1);
        var list = ChangeList.Parser.ParseFrom(bytes);
        foreach (var change in list.Changes)
        {
            if (KeyPath.TryCreate(change.Namespace, change.Environment, change.Key, out var path, out _)
                && await GetCoreAsync(instance, path, change.Version, token).ConfigureAwait(false) is { } version)
                changes.Add(list.Message.Length == 0 ? version : version with { ChangeMessage = list.Message });
        }

        return changes;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<StoredVersion>> HistoryAsync(KeyPath path, CancellationToken token)
    {
        using var lease = AcquireView();
        var instance = lease.View.Instance;
        if (ParseHead(await instance.ReadAsync(RecordKeys.Head(path), token).ConfigureAwait(false)) is not { } head)
            return [];
        var versions = new List<StoredVersion>((int)Math.Min(head.LatestVersion, 1024));
        for (var v = Math.Max(1, head.FirstVersion); v <= head.LatestVersion; v++)
        {
            if (ParseVersion(await instance.ReadAsync(RecordKeys.Version(path, v), token).ConfigureAwait(false)) is { } record)
                versions.Add(ToStored(path, record));
        }

        return versions;
    }

    /// <inheritdoc/>
    public async ValueTask<ListPage> ListAsync(string ns, string env, string prefix, string? after, int limit, bool includeDeleted, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var lease = AcquireView();
        var cursor = new ListCursor(lease.View.Index, ns, env, prefix, after, limit);
        while (cursor.NextBatch() is { } batch)
        {
            foreach (var (key, path) in batch)
            {
                if (cursor.Full)
                    break;
                cursor.Visited(key);
                if (path is { } p && await GetCoreAsync(lease.View.Instance, p, 0, token).ConfigureAwait(false) is { } latest && (includeDeleted || !latest.IsDeletion))
                    cursor.Items.Add(latest);
            }
        }

        return cursor.Page();
    }

    private static async ValueTask<StoredVersion?> GetCoreAsync(FasterInstance instance, KeyPath path, long version, CancellationToken token)
    {
        if (version <= 0)
        {
            if (ParseHead(await instance.ReadAsync(RecordKeys.Head(path), token).ConfigureAwait(false)) is not { } head)
                return null;
            var latest = ParseVersion(await instance.ReadAsync(RecordKeys.Version(path, head.LatestVersion), token).ConfigureAwait(false));
            return latest is null ? null : ToStored(path, latest) with { CreateRevision = head.CreateRevision };
        }

        var record = ParseVersion(await instance.ReadAsync(RecordKeys.Version(path, version), token).ConfigureAwait(false));
        return record is null ? null : ToStored(path, record);
    }
}
