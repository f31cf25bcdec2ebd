using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Secrets;

/// <summary>A data key and how many stored secret versions it seals.</summary>
public sealed record DataKeyUsage(long Sequence, string Id, DateTimeOffset CreatedAt, long SealedVersions, bool Newest);

/// <summary>Keyring status: each key's usage and the versions still waiting for a rewrap.</summary>
public sealed record KeyringReport(IReadOnlyList<DataKeyUsage> Keys, long PendingRewrap);

/// <summary>
/// Rotation (a new data key through the log) and rewrap (stored versions re-sealed under the
/// newest key, through the log, in bounded batches, so every node ends with the same bytes).
/// </summary>
public sealed class KeyRotation(ConfigService config, SecretKeyring keyring)
{
    public const int DefaultBatch = 100, MaxBatch = 1000;

    public async Task<Outcome<KeyringReport>> RotateAsync(CancellationToken token)
    {
        if (keyring.MasterKey is not { } masterKey)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {keyring.SealedReason}");
        var (keyId, wrapped) = masterKey.NewWrappedDataKey();
        var outcome = await config.SubmitRawAsync(
            config.NewCommand(null, addDataKey: new AddDataKeyOp { KeyId = ByteString.CopyFrom(keyId), WrappedKey = ByteString.CopyFrom(wrapped) }), token);
        if (outcome.Error is { } error)
            return error;
        return await config.CatchUpAsync(token) is { } barrierError ? barrierError : Report();
    }

    public async Task<Outcome<(long Rewrapped, long Batches, KeyringReport Report)>> RewrapAsync(int batchSize, CancellationToken token)
    {
        if (batchSize < 0 || batchSize > MaxBatch)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"batch size must be between 1 and {MaxBatch}");
        if (keyring.SealedReason is { } sealedReason)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {sealedReason}");
        batchSize = batchSize == 0 ? DefaultBatch : batchSize;
        if (await config.CatchUpAsync(token) is { } startError)
            return startError;
        var newest = keyring.NewestKeyId;
        if (newest.IsEmpty)
            return (0L, 0L, Report());

        long rewrapped = 0, batches = 0;
        var batch = new RewrapOp();
        foreach (var version in SecretVersions())
        {
            var oldKeyId = SecretEnvelope.KeyIdOf(version.Value.Span);
            if (oldKeyId.SequenceEqual(newest.Span))
                continue;
            if (!keyring.TryOpen(version.Value.Span, version.Path, version.Version, out var plaintext, out var openError)
                || !keyring.TrySeal(plaintext, version.Path, version.Version, out var envelope, out _, out openError))
                return new ConfigError(ConfigErrorCode.Internal, openError);
            batch.Items.Add(new RewrapItem
            {
                Key = version.Path.ToStoreKey(),
                Version = version.Version,
                OldKeyId = ByteString.CopyFrom(oldKeyId),
                Value = ByteString.CopyFrom(envelope),
            });
            if (batch.Items.Count == batchSize)
            {
                if (await SubmitAsync(batch, token) is { } error)
                    return error;
                rewrapped += batch.Items.Count;
                batches++;
                batch = new RewrapOp();
            }
        }

        if (batch.Items.Count > 0)
        {
            if (await SubmitAsync(batch, token) is { } error)
                return error;
            rewrapped += batch.Items.Count;
            batches++;
        }

        if (await config.CatchUpAsync(token) is { } endError)
            return endError;
        return (rewrapped, batches, Report());
    }

    /// <summary>Each data key with the number of stored versions it seals.</summary>
    public KeyringReport Report()
    {
        var keys = config.Store.DataKeys();
        var usage = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var version in SecretVersions())
        {
            var id = Convert.ToHexStringLower(SecretEnvelope.KeyIdOf(version.Value.Span));
            usage[id] = usage.GetValueOrDefault(id) + 1;
        }

        var report = new List<DataKeyUsage>();
        long pending = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            var id = Convert.ToHexStringLower(keys[i].KeyId.Span);
            var count = usage.GetValueOrDefault(id);
            if (i < keys.Count - 1)
                pending += count;
            report.Add(new DataKeyUsage(keys[i].Sequence, id[..8], keys[i].CreatedAt, count, i == keys.Count - 1));
        }

        return new KeyringReport(report, pending);
    }

    private async Task<ConfigError?> SubmitAsync(RewrapOp batch, CancellationToken token)
    {
        var outcome = await config.SubmitRawAsync(config.NewCommand(null, rewrap: batch), token);
        return outcome.Error;
    }

    private IEnumerable<StoredVersion> SecretVersions()
    {
        var store = config.Store;
        foreach (var path in store.AllKeys())
        {
            if (store.Get(path) is not { Secret: true })
                continue;
            foreach (var version in store.History(path))
            {
                if (version.Secret && !version.Value.IsEmpty)
                    yield return version;
            }
        }
    }
}
