using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Application;

/// <summary>
/// Builds the operations of a write from the current state of the store: the expected version,
/// and, for a secret (or a key that already holds one), the value sealed for the version it
/// will become. Each build reads the state afresh, so a rebuilt write sees what made it stale.
/// </summary>
public sealed class WriteBuilder(IVersionedStore store, SecretSealer sealer, NodeSettings settings)
{
    /// <summary>The UTF-8 bytes of a value, or why it cannot be stored (too large, not JSON).</summary>
    public Outcome<byte[]> ValueBytes(string valueJson)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(valueJson);
        if (bytes.Length > settings.MaxValueBytes)
            return new ConfigError(ConfigErrorCode.TooLarge, $"value is {bytes.Length} bytes; the limit is {settings.MaxValueBytes}");
        return JsonValue.IsValid(bytes) ? bytes : new ConfigError(ConfigErrorCode.InvalidArgument, "value must be valid JSON (a string value needs quotes)");
    }

    /// <summary>A put of <paramref name="bytes"/>; sealed when it is a secret or the key's live value is one.</summary>
    public async Task<Outcome<PutOp>> PutAsync(KeyPath path, byte[] bytes, bool secret, long? expectedVersion, CancellationToken token)
    {
        var put = new PutOp { Key = path.ToStoreKey(), Value = ByteString.CopyFrom(bytes), Secret = secret };
        if (expectedVersion is { } expected)
        {
            put.HasExpectedVersion = true;
            put.ExpectedVersion = expected;
        }

        var head = await store.GetAsync(path, 0, token);
        var live = head is { IsDeletion: false };
        if (!(live && head!.Secret) && !(secret && !live))
            return put;
        var sealedValue = await sealer.SealAsync(path, bytes, (head?.Version ?? 0) + 1, token);
        if (sealedValue.Error is { } sealError)
            return sealError;
        put.Value = ByteString.CopyFrom(sealedValue.Value!.Envelope);
        put.Fingerprint = ByteString.CopyFrom(sealedValue.Value.Fingerprint);
        put.Encrypted = true;
        put.SealedForVersion = sealedValue.Value.Version;
        return put;
    }

    /// <summary>A put of raw bytes stored as they are (the Consul face's values), with <paramref name="flags"/> kept on the version.</summary>
    public Outcome<PutOp> PutBytes(KeyPath path, ReadOnlySpan<byte> bytes, ulong flags, long? expectedVersion)
    {
        if (bytes.Length > settings.MaxValueBytes)
            return new ConfigError(ConfigErrorCode.TooLarge, $"value is {bytes.Length} bytes; the limit is {settings.MaxValueBytes}");
        var put = new PutOp { Key = path.ToStoreKey(), Value = ByteString.CopyFrom(bytes), ValueKind = ValueKind.Bytes, Flags = flags };
        if (expectedVersion is { } expected)
        {
            put.HasExpectedVersion = true;
            put.ExpectedVersion = expected;
        }

        return put;
    }

    /// <summary>A delete (or, with <paramref name="mask"/>, a mask of inherited values).</summary>
    public static DeleteOp Delete(KeyPath path, long? expectedVersion, bool mask)
    {
        var delete = new DeleteOp { Key = path.ToStoreKey(), Mask = mask };
        if (expectedVersion is { } expected)
        {
            delete.HasExpectedVersion = true;
            delete.ExpectedVersion = expected;
        }

        return delete;
    }

    /// <summary>A rollback; a secret's old envelope is bound to its version, so it is opened and re-sealed for the new one.</summary>
    public async Task<Outcome<RollbackOp>> RollbackAsync(KeyPath path, long toVersion, CancellationToken token)
    {
        var rollback = new RollbackOp { Key = path.ToStoreKey(), ToVersion = toVersion };
        var head = await store.GetAsync(path, 0, token);
        var target = await store.GetAsync(path, toVersion, token);
        if (head is null || target is not { IsDeletion: false } || !(head.Secret || target.Secret))
            return rollback;
        if (sealer.IsSealed)
            return sealer.SealedError(path);
        var plaintext = sealer.Open(target);
        if (plaintext.Error is { } openError)
            return openError;
        var sealedValue = await sealer.SealAsync(path, plaintext.Value, head.Version + 1, token);
        if (sealedValue.Error is { } sealError)
            return sealError;
        rollback.HasReplacement = true;
        rollback.ReplacementValue = ByteString.CopyFrom(sealedValue.Value!.Envelope);
        rollback.Fingerprint = ByteString.CopyFrom(sealedValue.Value.Fingerprint);
        rollback.SealedForVersion = sealedValue.Value.Version;
        return rollback;
    }

    /// <summary>One item of a change-set: a put (sealed as <see cref="PutAsync"/> does) or a delete.</summary>
    public async Task<Outcome<ChangeSetItem>> ItemAsync(ChangeSetEntry entry, CancellationToken token)
    {
        if (entry.ValueJson is null)
            return new ChangeSetItem { Delete = Delete(entry.Path, entry.ExpectedVersion, entry.Mask) };
        var bytes = ValueBytes(entry.ValueJson);
        if (bytes.Error is { } invalid)
            return invalid with { Message = $"item '{entry.Path.Key}': {invalid.Message}" };
        var put = await PutAsync(entry.Path, bytes.Value!, entry.Secret, entry.ExpectedVersion, token);
        return put.Error is { } error ? error : new ChangeSetItem { Put = put.Value };
    }
}
