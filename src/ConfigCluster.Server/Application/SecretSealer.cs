using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Application;

/// <summary>A secret value sealed for one version of one key.</summary>
/// <param name="Version">The version the envelope is bound to.</param>
public sealed record SealedSecret(byte[] Envelope, byte[] Fingerprint, long Version);

/// <summary>
/// Seals secret values before a command exists (so the log never holds plaintext) and opens
/// stored envelopes with the path and version they were sealed under — for an inherited
/// secret that is its own environment, not the one the caller asked about.
/// </summary>
public sealed class SecretSealer(SecretKeyring keyring, WritePipeline pipeline)
{
    /// <summary>Seals <paramref name="plaintext"/> for <paramref name="version"/> of <paramref name="path"/>; makes the keyring's first data key when there is none yet.</summary>
    public async Task<Outcome<SealedSecret>> SealAsync(KeyPath path, ReadOnlyMemory<byte> plaintext, long version, CancellationToken token)
    {
        if (keyring.MasterKey is null)
            return SealedError(path);
        if (!keyring.HasDataKey && await AddDataKeyAsync(token) is { } addError)
            return addError;
        return keyring.TrySeal(plaintext.Span, path, version, out var envelope, out var fingerprint, out var error)
            ? new SealedSecret(envelope, fingerprint, version)
            : new ConfigError(ConfigErrorCode.Sealed, error);
    }

    /// <summary>The plaintext of a stored secret version, opened with the path and version it was sealed under.</summary>
    public Outcome<byte[]> Open(StoredVersion stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        string? error = null;
        if (keyring.SealedReason is null && keyring.TryOpen(stored.Value.Span, stored.Path, stored.Version, out var plaintext, out error))
            return plaintext;
        // A wrong master key is found out by the first secret opened after start-up: the keyring
        // seals itself then, and that read answers "sealed" like every later one, not an internal error.
        return keyring.SealedReason is { } sealedReason
            ? new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed and cannot reveal secrets: {sealedReason}")
            : new ConfigError(ConfigErrorCode.Internal, error!);
    }

    /// <summary>Adds a new data key through the log and waits until this node has applied it (rotation, and the first secret).</summary>
    public async Task<ConfigError?> AddDataKeyAsync(CancellationToken token)
    {
        if (keyring.MasterKey is not { } masterKey)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {keyring.SealedReason}");
        var (keyId, wrapped) = masterKey.NewWrappedDataKey();
        var command = pipeline.NewCommand(null);
        command.AddDataKey = new AddDataKeyOp { KeyId = ByteString.CopyFrom(keyId), WrappedKey = ByteString.CopyFrom(wrapped), MasterKeyCheck = ByteString.CopyFrom(masterKey.KeyCheck.Span) };
        var added = await pipeline.SubmitOnceAsync(command, token);
        // The key was applied on the leader; make sure this node has applied it too.
        return added.Error ?? await pipeline.CatchUpAsync(token);
    }

    /// <summary>Whether this node can seal and open secrets.</summary>
    public bool IsSealed => keyring.SealedReason is not null;

    /// <summary>The answer for a secret write on a node without a usable master key.</summary>
    public ConfigError SealedError(KeyPath path)
        => new(ConfigErrorCode.Sealed, $"this node is sealed and cannot write secret '{path.Key}': {keyring.SealedReason}");
}
