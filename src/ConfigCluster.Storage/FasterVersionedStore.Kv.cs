using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>A Vault KV v2 mount that has a record (the default mount has none until tuned).</summary>
public sealed record StoredKvMount(string Name, string Description, long MaxVersions, bool CasRequired, DateTimeOffset CreatedAt);

/// <summary>A key's Vault KV v2 metadata (max versions, check-and-set requirement, custom metadata).</summary>
public sealed record StoredKvKey(long MaxVersions, bool CasRequired, IReadOnlyDictionary<string, string> CustomMetadata, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed partial class FasterVersionedStore
{
    /// <summary>Most custom metadata entries per key (Vault's limit).</summary>
    public const int MaxCustomMetadata = 64;

    // Vault KV v2 state is metadata (HotMetadata, digested with it) plus two fields of the
    // version records (soft-deletion time, destroyed), which the digest covers with the versions.

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, StoredKvMount> KvMounts() => Volatile.Read(ref current).Metadata.KvMounts;

    /// <inheritdoc/>
    public StoredKvKey? FindKvKey(KeyPath path) => Volatile.Read(ref current).Metadata.FindKvKey(RecordKeys.Composite(path));

    private CommandResult ApplyKvVersions(Command command, KvVersionsOp op)
    {
        if (!KeyPath.TryFrom(op.Key, out var path, out var error))
            return Invalid(error);
        if (op.Action == KvVersionAction.Unspecified)
            return Invalid("no action");
        var head = ReadHead(path, forWrite: true);
        if (head is null or { Deleted: true })
            return NotFound($"key '{path.Key}' not found");

        var all = op.Action == KvVersionAction.DestroyAll;
        IEnumerable<long> versions = all ? LongRange(Math.Max(1, head.FirstVersion), head.LatestVersion) : op.Versions.Distinct().Order();
        var changed = 0L;
        foreach (var v in versions)
        {
            if (v < Math.Max(1, head.FirstVersion) || v > head.LatestVersion || ReadVersion(path, v, forWrite: true) is not { } record)
                continue;
            if (record.Operation is VersionOperation.Delete or VersionOperation.Mask || record.Destroyed)
                continue;
            switch (op.Action)
            {
                case KvVersionAction.Delete when record.DeletedUnixMs == 0:
                    record.DeletedUnixMs = command.TimestampUnixMs;
                    break;
                case KvVersionAction.Undelete when record.DeletedUnixMs != 0:
                    record.DeletedUnixMs = 0;
                    break;
                case KvVersionAction.Destroy or KvVersionAction.DestroyAll:
                    record.Destroyed = true;
                    record.Value = ByteString.Empty;
                    record.Fingerprint = ByteString.Empty;
                    break;
                default:
                    continue;
            }

            WriterInstance.Upsert(RecordKeys.Version(path, v), record.ToByteArray());
            changed++;
        }

        if (!all)
            return new CommandResult { Code = ResultCode.ResultOk, Version = changed, Revision = revision };

        // Vault's DELETE metadata: the key goes away (a tombstone version, seen by history and watches).
        UpsertMetadata(RecordKeys.KvKey(path), []);
        var tombstone = new Plan(path, head, VersionOperation.Delete, ByteString.Empty, head.Secret, 0, ByteString.Empty);
        var newRevision = Commit(command, [tombstone], message: "");
        return new CommandResult { Code = ResultCode.ResultOk, Version = tombstone.NewVersion, Revision = newRevision };
    }

    private CommandResult ApplyKvMetadata(Command command, KvMetadataOp op)
    {
        if (!KeyPath.TryFrom(op.Key, out var path, out var error))
            return Invalid(error);
        if (op.MaxVersions < 0)
            return Invalid("max_versions must be 0 or more");
        if (op.CustomMetadata.Count > MaxCustomMetadata || op.CustomMetadata.Any(static p => p.Key.Length is 0 or > 128 || p.Value.Length > 512))
            return Invalid($"custom_metadata holds at most {MaxCustomMetadata} entries, keys of 1-128 and values of at most 512 characters");
        var key = RecordKeys.KvKey(path);
        var existing = WriterInstance.ReadForWrite(key) is { Length: > 0 } bytes ? KvKeyRecord.Parser.ParseFrom(bytes) : null;
        var record = existing ?? new KvKeyRecord { CreatedUnixMs = command.TimestampUnixMs };
        record.UpdatedUnixMs = command.TimestampUnixMs;
        if (op.HasMaxVersions)
            record.MaxVersions = op.MaxVersions;
        if (op.HasCasRequired)
            record.CasRequired = op.CasRequired;
        if (op.HasCustomMetadata)
        {
            record.CustomMetadata.Clear();
            record.CustomMetadata.Add(op.CustomMetadata);
        }

        UpsertMetadata(key, record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyKvMount(Command command, KvMountOp op)
    {
        if (op.Name.Length is 0 or > KeyPath.MaxScopeLength || !op.Name.All(static c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-'))
            return Invalid($"mount name must be 1-{KeyPath.MaxScopeLength} letters, digits, '_' or '-'");
        if (op.MaxVersions < 0)
            return Invalid("max_versions must be 0 or more");
        var key = RecordKeys.KvMount(op.Name);
        var existing = WriterInstance.ReadForWrite(key) is { Length: > 0 } bytes ? KvMountRecord.Parser.ParseFrom(bytes) : null;
        switch (op.Mode)
        {
            case KvMountMode.Create when existing is not null:
                return Invalid($"path is already in use at {op.Name}/");
            case KvMountMode.Remove when existing is null:
                return NotFound($"no mount at {op.Name}/");
            case KvMountMode.Remove:
                UpsertMetadata(key, []);
                return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
            case KvMountMode.Create or KvMountMode.Tune:
                var record = new KvMountRecord
                {
                    Name = op.Name,
                    Description = op.Description,
                    MaxVersions = op.MaxVersions,
                    CasRequired = op.CasRequired,
                    CreatedUnixMs = existing?.CreatedUnixMs ?? command.TimestampUnixMs,
                };
                UpsertMetadata(key, record.ToByteArray());
                return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
            default:
                return Invalid("no mount mode");
        }
    }

    private static IEnumerable<long> LongRange(long from, long to)
    {
        for (var v = from; v <= to; v++)
            yield return v;
    }
}
