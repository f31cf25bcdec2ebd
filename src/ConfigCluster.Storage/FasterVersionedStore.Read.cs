using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <inheritdoc/>
    public StoredVersion? Get(KeyPath path, long version = 0)
    {
        swapGate.EnterReadLock();
        try
        {
            return GetCore(path, version);
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    private StoredVersion? GetCore(KeyPath path, long version)
    {
        if (version <= 0)
        {
            if (ReadHead(path, forWrite: false) is not { } head)
                return null;
            version = head.LatestVersion;
        }

        return ReadVersion(path, version, forWrite: false) is { } record ? ToStored(path, record) : null;
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredVersion> GetChanges(long atRevision)
    {
        swapGate.EnterReadLock();
        try
        {
            if (atRevision < 1 || instance.Read(RecordKeys.Change(atRevision)) is not { } bytes)
                return [];
            var changes = new List<StoredVersion>(1);
            foreach (var change in ChangeList.Parser.ParseFrom(bytes).Changes)
            {
                if (KeyPath.TryCreate(change.Namespace, change.Environment, change.Key, out var path, out _) && GetCore(path, change.Version) is { } version)
                    changes.Add(version);
            }

            return changes;
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredVersion> History(KeyPath path)
    {
        swapGate.EnterReadLock();
        try
        {
            if (ReadHead(path, forWrite: false) is not { } head)
                return [];
            var versions = new List<StoredVersion>((int)Math.Min(head.LatestVersion, 1024));
            for (var v = Math.Max(1, head.FirstVersion); v <= head.LatestVersion; v++)
            {
                if (ReadVersion(path, v, forWrite: false) is { } record)
                    versions.Add(ToStored(path, record));
            }

            return versions;
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    /// <inheritdoc/>
    public ListPage List(string ns, string env, string prefix, string? after, int limit, bool includeDeleted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var scope = $"{ns}\0{env}\0";
        var from = scope + prefix;
        if (!string.IsNullOrEmpty(after) && string.CompareOrdinal(scope + after + "\0", from) > 0)
            from = scope + after + "\0";
        var upTo = scope + prefix + char.MaxValue;

        var items = new List<StoredVersion>(Math.Min(limit, 256));
        string? last = null;
        swapGate.EnterReadLock();
        try
        {
            // Deleted keys are skipped, so read the index in batches until the page is full.
            while (items.Count < limit)
            {
                var batch = index.Range(from, upTo, limit - items.Count + 1);
                if (batch.Count == 0)
                    return new ListPage(items, null);
                foreach (var composite in batch)
                {
                    if (items.Count == limit)
                        return new ListPage(items, last);
                    var key = composite[scope.Length..];
                    last = key;
                    if (!KeyPath.TryCreate(ns, env, key, out var path, out _))
                        continue;
                    if (GetCore(path, 0) is { } latest && (includeDeleted || !latest.IsDeletion))
                        items.Add(latest);
                }

                from = batch[^1] + "\0";
            }

            return new ListPage(items, index.Range(from, upTo, 1).Count > 0 ? last : null);
        }
        finally
        {
            swapGate.ExitReadLock();
        }
    }

    private KeyHead? ReadHead(KeyPath path, bool forWrite)
    {
        var key = RecordKeys.Head(path);
        var bytes = forWrite ? instance.ReadForWrite(key) : instance.Read(key);
        return bytes is null ? null : KeyHead.Parser.ParseFrom(bytes);
    }

    private VersionRecord? ReadVersion(KeyPath path, long version, bool forWrite)
    {
        var key = RecordKeys.Version(path, version);
        var bytes = forWrite ? instance.ReadForWrite(key) : instance.Read(key);
        // An empty record is a version removed by compaction.
        return bytes is null || bytes.Length == 0 ? null : VersionRecord.Parser.ParseFrom(bytes);
    }

    private static StoredVersion ToStored(KeyPath path, VersionRecord record) => new(
        path,
        record.Version,
        record.Revision,
        record.Operation switch
        {
            VersionOperation.Delete => VersionKind.Delete,
            VersionOperation.Rollback => VersionKind.Rollback,
            VersionOperation.Mask => VersionKind.Mask,
            _ => VersionKind.Put,
        },
        record.Value.Memory,
        record.Secret,
        record.Author,
        DateTimeOffset.FromUnixTimeMilliseconds(record.TimestampUnixMs),
        record.RolledBackFrom)
    {
        Fingerprint = record.Fingerprint.Memory,
    };
}
