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
public sealed class KeyRotation(IVersionedStore store, WritePipeline pipeline, SecretSealer sealer, SecretKeyring keyring)
{
    public const int DefaultBatch = 100, MaxBatch = 1000;

    /// <summary>Adds a new data key (new secrets are sealed under it) and reports the keyring.</summary>
    public async Task<Outcome<KeyringReport>> RotateAsync(CancellationToken token)
        => await sealer.AddDataKeyAsync(token) is { } error ? error : await ReportAsync(token);

    /// <summary>Re-seals every stored secret version not yet under the newest key, in batches through the log.</summary>
    public async Task<Outcome<(long Rewrapped, long Batches, KeyringReport Report)>> RewrapAsync(int batchSize, CancellationToken token)
    {
        if (batchSize < 0 || batchSize > MaxBatch)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"batch size must be between 1 and {MaxBatch}");
        if (keyring.SealedReason is { } sealedReason)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {sealedReason}");
        batchSize = batchSize == 0 ? DefaultBatch : batchSize;
        if (await pipeline.CatchUpAsync(token) is { } startError)
            return startError;
        var newest = keyring.NewestKeyId;
        if (newest.IsEmpty)
            return (0L, 0L, await ReportAsync(token));

        long rewrapped = 0, batches = 0;
        var batch = new RewrapOp();
        await foreach (var version in SecretVersionsAsync(token))
        {
            var oldKeyId = SecretEnvelope.KeyIdOf(version.Value.Span);
            if (oldKeyId.SequenceEqual(newest.Span))
                continue;
            var plaintext = sealer.Open(version);
            if (plaintext.Error is { } openError)
                return openError;
            if (!keyring.TrySeal(plaintext.Value, version.Path, version.Version, out var envelope, out _, out var sealError))
                return new ConfigError(ConfigErrorCode.Internal, sealError);
            batch.Items.Add(new RewrapItem
            {
                Key = version.Path.ToStoreKey(),
                Version = version.Version,
                OldKeyId = ByteString.CopyFrom(oldKeyId),
                Value = ByteString.CopyFrom(envelope),
            });
            if (batch.Items.Count < batchSize)
                continue;
            if (await SubmitAsync(batch, token) is { } error)
                return error;
            rewrapped += batch.Items.Count;
            batches++;
            batch = new RewrapOp();
        }

        if (batch.Items.Count > 0)
        {
            if (await SubmitAsync(batch, token) is { } error)
                return error;
            rewrapped += batch.Items.Count;
            batches++;
        }

        if (await pipeline.CatchUpAsync(token) is { } endError)
            return endError;
        return (rewrapped, batches, await ReportAsync(token));
    }

    /// <summary>Each data key with the number of stored versions it seals.</summary>
    public async Task<KeyringReport> ReportAsync(CancellationToken token)
    {
        var keys = store.DataKeys();
        var usage = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var version in SecretVersionsAsync(token))
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
        var command = pipeline.NewCommand(null);
        command.Rewrap = batch;
        return (await pipeline.SubmitOnceAsync(command, token)).Error;
    }

    private async IAsyncEnumerable<StoredVersion> SecretVersionsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token)
    {
        foreach (var path in store.AllKeys())
        {
            if (await store.GetAsync(path, 0, token) is not { Secret: true })
                continue;
            foreach (var version in await store.HistoryAsync(path, token))
            {
                if (version.Secret && !version.Value.IsEmpty)
                    yield return version;
            }
        }
    }
}
