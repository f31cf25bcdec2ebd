using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Faster;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    // The synchronous reads block on disk when a record was evicted: they serve the apply path,
    // tools and tests. Request paths use the *Async reads (FasterVersionedStore.ReadAsync.cs).

    /// <inheritdoc/>
    public StoredVersion? Get(KeyPath path, long version = 0)
    {
        using var lease = AcquireView();
        return GetCore(lease.View.Instance, path, version);
    }

    private static StoredVersion? GetCore(FasterInstance instance, KeyPath path, long version)
    {
        if (version <= 0)
        {
            if (ParseHead(instance.Read(RecordKeys.Head(path))) is not { } head)
                return null;
            return ParseVersion(instance.Read(RecordKeys.Version(path, head.LatestVersion))) is { } latest ? ToStored(path, latest) with { CreateRevision = head.CreateRevision } : null;
        }

        return ParseVersion(instance.Read(RecordKeys.Version(path, version))) is { } record ? ToStored(path, record) : null;
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredVersion> GetChanges(long atRevision)
    {
        using var lease = AcquireView();
        var instance = lease.View.Instance;
        if (atRevision < 1 || instance.Read(RecordKeys.Change(atRevision)) is not { Length: > 0 } bytes)
            return [];
        var changes = new List<StoredVersion>(1);
        var list = ChangeList.Parser.ParseFrom(bytes);
        foreach (var change in list.Changes)
        {
            if (KeyPath.TryCreate(change.Namespace, change.Environment, change.Key, out var path, out _) && GetCore(instance, path, change.Version) is { } version)
                changes.Add(list.Message.Length == 0 ? version : version with { ChangeMessage = list.Message });
        }

        return changes;
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredVersion> History(KeyPath path)
    {
        using var lease = AcquireView();
        var instance = lease.View.Instance;
        if (ParseHead(instance.Read(RecordKeys.Head(path))) is not { } head)
            return [];
        var versions = new List<StoredVersion>((int)Math.Min(head.LatestVersion, 1024));
        for (var v = Math.Max(1, head.FirstVersion); v <= head.LatestVersion; v++)
        {
            if (ParseVersion(instance.Read(RecordKeys.Version(path, v))) is { } record)
                versions.Add(ToStored(path, record));
        }

        return versions;
    }

    /// <inheritdoc/>
    public ListPage List(string ns, string env, string prefix, string? after, int limit, bool includeDeleted)
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
                if (path is { } p && GetCore(lease.View.Instance, p, 0) is { } latest && (includeDeleted || !latest.IsDeletion))
                    cursor.Items.Add(latest);
            }
        }

        return cursor.Page();
    }

    // The writer's reads (apply path only).
    private KeyHead? ReadHead(KeyPath path, bool forWrite)
    {
        System.Diagnostics.Debug.Assert(forWrite, "request paths read with a lease or asynchronously");
        return ParseHead(WriterInstance.ReadForWrite(RecordKeys.Head(path)));
    }

    private VersionRecord? ReadVersion(KeyPath path, long version, bool forWrite)
    {
        System.Diagnostics.Debug.Assert(forWrite, "request paths read with a lease or asynchronously");
        return ParseVersion(WriterInstance.ReadForWrite(RecordKeys.Version(path, version)));
    }

    private static KeyHead? ParseHead(byte[]? bytes) => bytes is null ? null : KeyHead.Parser.ParseFrom(bytes);

    // An empty record is a version removed by compaction.
    private static VersionRecord? ParseVersion(byte[]? bytes) => bytes is null || bytes.Length == 0 ? null : VersionRecord.Parser.ParseFrom(bytes);

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
        ValueKind = record.ValueKind == (int)Core.Commands.ValueKind.Bytes ? Core.Commands.ValueKind.Bytes : Core.Commands.ValueKind.Json,
        Flags = record.Flags,
        DeletedAt = record.DeletedUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.DeletedUnixMs) : null,
        Destroyed = record.Destroyed,
    };
}
