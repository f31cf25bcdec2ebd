using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>Length of a master key check (MasterKey.KeyCheckSize).</summary>
    private const int KeyCheckLength = 8;

    /// <inheritdoc/>
    public KeyringWrapping? MasterKeyWrapping() => Volatile.Read(ref current).Metadata.Wrapping;

    // Re-wraps every data key, every transit key version and the fingerprint key at once. The
    // command must cover the keyring exactly as it stands here: a data key or transit version
    // added meanwhile (wrapped under the old master key) would otherwise be left behind.
    private CommandResult ApplyRotateMasterKey(Command command, RotateMasterKeyOp rotate)
    {
        if (rotate.NewKeyCheck.Length != KeyCheckLength || rotate.WrappedFingerprintKey.IsEmpty
            || (rotate.OldKeyCheck.Length != 0 && rotate.OldKeyCheck.Length != KeyCheckLength))
            return Invalid("master key rotation is malformed");
        var wrapping = current.Metadata.Wrapping;
        var recorded = wrapping?.KeyCheck ?? ReadOnlyMemory<byte>.Empty;
        if (!recorded.Span.SequenceEqual(rotate.OldKeyCheck.Span))
            return Retry("the keyring was re-wrapped under another master key while the rotation was prepared");

        var dataKeys = current.Metadata.DataKeys;
        if (rotate.DataKeys.Count != dataKeys.Count)
            return Retry("the keyring gained a data key while the rotation was prepared");
        var rewrapped = new Dictionary<long, RewrappedDataKey>();
        foreach (var item in rotate.DataKeys)
            rewrapped[item.Sequence] = item;
        foreach (var key in dataKeys)
        {
            if (!rewrapped.TryGetValue(key.Sequence, out var item) || !item.KeyId.Span.SequenceEqual(key.KeyId.Span) || item.WrappedKey.IsEmpty)
                return Retry("the rotation does not cover the keyring's data keys");
        }

        var transit = new Dictionary<(string, long), ByteString>();
        foreach (var item in rotate.TransitKeys)
            transit[(item.Name, item.Version)] = item.WrappedMaterial;
        var records = new List<TransitKeyRecord>();
        var covered = 0;
        foreach (var name in current.Metadata.TransitKeyNames())
        {
            if (ReadTransitRecord(name) is not { } record)
                continue;
            foreach (var version in record.Versions)
            {
                if (!transit.TryGetValue((name, version.Version), out var material) || material.IsEmpty)
                    return Retry($"the rotation does not cover version {version.Version} of transit key '{name}'");
                version.WrappedMaterial = material;
                covered++;
            }

            records.Add(record);
        }

        if (covered != transit.Count)
            return Retry("the rotation names transit key versions the keyring does not hold");

        foreach (var key in dataKeys)
        {
            UpsertMetadata(RecordKeys.DataKey(key.Sequence), new DataKeyRecord
            {
                Sequence = key.Sequence,
                KeyId = rewrapped[key.Sequence].KeyId,
                WrappedKey = rewrapped[key.Sequence].WrappedKey,
                CreatedAtUnixMs = key.CreatedAt.ToUnixTimeMilliseconds(),
            }.ToByteArray());
        }

        foreach (var record in records)
            UpsertMetadata(RecordKeys.TransitKey(record.Name), record.ToByteArray());
        var generation = (wrapping?.Generation ?? 0) + 1;
        UpsertMetadata(RecordKeys.MasterKey, new MasterKeyRecord
        {
            KeyCheck = rotate.NewKeyCheck,
            Generation = generation,
            WrappedFingerprintKey = rotate.WrappedFingerprintKey,
            RotatedAtUnixMs = command.TimestampUnixMs,
        }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Version = generation, Revision = revision };
    }

    // New key material must be wrapped under the master key the keyring records (once it records
    // one): material made by a node that still held the old key would be unreadable after a rotation.
    private CommandResult? CheckWrappedUnderCurrentKey(ByteString masterKeyCheck)
        => current.Metadata.Wrapping is { } wrapping && !wrapping.KeyCheck.Span.SequenceEqual(masterKeyCheck.Span)
            ? Retry("the key material was wrapped under a master key the keyring no longer uses (the master key was rotated)")
            : null;
}
