using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

/// <summary>One data key of the replicated keyring, still wrapped by the master key.</summary>
public sealed record WrappedDataKey(long Sequence, ReadOnlyMemory<byte> KeyId, ReadOnlyMemory<byte> Wrapped, DateTimeOffset CreatedAt);

public sealed partial class FasterVersionedStore
{
    private long dataKeyCount;

    /// <inheritdoc/>
    public IReadOnlyList<WrappedDataKey> DataKeys() => Volatile.Read(ref current).Metadata.DataKeys;

    private CommandResult ApplyAddDataKey(Command command, AddDataKeyOp add)
    {
        if (add.KeyId.Length != SecretEnvelope.KeyIdSize || add.WrappedKey.IsEmpty)
            return Invalid("data key record is malformed");
        if (CheckWrappedUnderCurrentKey(add.MasterKeyCheck) is { } stale)
            return stale;
        var sequence = dataKeyCount + 1;
        UpsertMetadata(RecordKeys.DataKey(sequence), new DataKeyRecord
        {
            Sequence = sequence,
            KeyId = add.KeyId,
            WrappedKey = add.WrappedKey,
            CreatedAtUnixMs = command.TimestampUnixMs,
        }.ToByteArray());
        Volatile.Write(ref dataKeyCount, sequence);
        return new CommandResult { Code = ResultCode.ResultOk, Version = sequence, Revision = revision };
    }

    // Replaces the value of stored secret versions in place: no new version, no new revision.
    private CommandResult ApplyRewrap(RewrapOp rewrap)
    {
        var rewritten = 0L;
        foreach (var item in rewrap.Items)
        {
            if (!KeyPath.TryFrom(item.Key, out var path, out _) || ReadVersion(path, item.Version, forWrite: true) is not { Secret: true } record)
                continue;
            if (record.Value.Length == 0 || !SecretEnvelope.KeyIdOf(record.Value.Span).SequenceEqual(item.OldKeyId.Span))
                continue;
            record.Value = item.Value;
            WriterInstance.Upsert(RecordKeys.Version(path, item.Version), record.ToByteArray());
            rewritten++;
        }

        return new CommandResult { Code = ResultCode.ResultOk, Version = rewritten, Revision = revision };
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyPath> AllKeys()
    {
        var keys = new List<KeyPath>();
        foreach (var composite in Volatile.Read(ref current).Index.Snapshot())
        {
            var parts = composite.Split('\0');
            if (KeyPath.TryCreate(parts[0], parts[1], parts[2], out var path, out _))
                keys.Add(path);
        }

        return keys;
    }
}
