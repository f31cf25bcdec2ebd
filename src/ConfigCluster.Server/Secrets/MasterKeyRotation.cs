using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Secrets;

/// <summary>Which master key the keyring is wrapped under after a rotation, and what was re-wrapped.</summary>
public sealed record MasterKeyStatus(string KeyCheck, long Generation, DateTimeOffset? RotatedAt, int DataKeys, int TransitKeyVersions);

/// <summary>
/// Online master key rotation through the log. The accepting node, unsealed with the current
/// master key and given the new one, re-wraps every data key, every transit key version and the
/// fingerprint key under the new key and proposes all of it as one <see cref="RotateMasterKeyOp"/>;
/// neither key enters the log. Every node that has the new key staged (this one, and any given it
/// beforehand with <see cref="Prepare"/>) switches to it when it applies the entry; any other node
/// seals itself with a clear reason until it is unsealed with the new key.
/// </summary>
public sealed class MasterKeyRotation(IVersionedStore store, WritePipeline pipeline, SecretKeyring keyring)
{
    /// <summary>Stages <paramref name="next"/> (taking ownership) on this node only, ahead of a rotation to it.</summary>
    public MasterKeyStatus Prepare(MasterKey next)
    {
        ArgumentNullException.ThrowIfNull(next);
        keyring.StageNextKey(next);
        return Status();
    }

    /// <summary>Re-wraps the whole keyring under <paramref name="next"/> (taking ownership) and waits until this node applied it.</summary>
    public async Task<Outcome<MasterKeyStatus>> RotateAsync(MasterKey next, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(next);
        var staged = false;
        try
        {
            var outcome = await pipeline.SubmitAsync(async buildToken =>
            {
                if (await pipeline.CatchUpAsync(buildToken) is { } catchUpError)
                    return catchUpError;
                if (keyring.MasterKey is not { } current)
                    return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {keyring.SealedReason}");
                if (current.KeyCheck.Span.SequenceEqual(next.KeyCheck.Span))
                    return new ConfigError(ConfigErrorCode.InvalidArgument, "the new master key is the current one");
                Outcome<Command> built = Build(current, next);
                if (built.Error is null && !staged)
                {
                    // Staged before the entry exists, so this node never sees the rotation without the key.
                    keyring.StageNextKey(next);
                    staged = true;
                }

                return built;
            }, token);
            if (outcome.Error is { } error)
                return error;
            if (await pipeline.CatchUpAsync(token) is { } endError)
                return endError;
            return Status();
        }
        finally
        {
            if (!staged)
                next.Dispose();
        }
    }

    /// <summary>The keyring's master key record as this node has applied it.</summary>
    public MasterKeyStatus Status()
    {
        var wrapping = store.MasterKeyWrapping();
        var transitVersions = store.TransitKeyNames().Sum(name => store.FindTransitKey(name)?.Versions.Count ?? 0);
        return new MasterKeyStatus(wrapping?.KeyCheckText ?? "", wrapping?.Generation ?? 0, wrapping?.RotatedAt, store.DataKeys().Count, transitVersions);
    }

    private Outcome<Command> Build(MasterKey current, MasterKey next)
    {
        var rotate = new RotateMasterKeyOp
        {
            OldKeyCheck = store.MasterKeyWrapping() is { } wrapping ? ByteString.CopyFrom(wrapping.KeyCheck.Span) : ByteString.Empty,
            NewKeyCheck = ByteString.CopyFrom(next.KeyCheck.Span),
        };
        try
        {
            foreach (var key in store.DataKeys())
            {
                rotate.DataKeys.Add(new RewrappedDataKey
                {
                    Sequence = key.Sequence,
                    KeyId = ByteString.CopyFrom(key.KeyId.Span),
                    WrappedKey = ByteString.CopyFrom(current.RewrapDataKey(key.KeyId.Span, key.Wrapped.Span, next)),
                });
            }

            foreach (var name in store.TransitKeyNames())
            {
                if (store.FindTransitKey(name) is not { } transit)
                    continue;
                foreach (var version in transit.Versions)
                {
                    rotate.TransitKeys.Add(new RewrappedTransitKey
                    {
                        Name = name,
                        Version = version.Version,
                        WrappedMaterial = ByteString.CopyFrom(current.RewrapTransitKey(name, version.Version, version.WrappedMaterial.Span, next)),
                    });
                }
            }

            var fingerprintKey = keyring.CurrentFingerprintKey(current);
            try
            {
                rotate.WrappedFingerprintKey = ByteString.CopyFrom(next.WrapFingerprintKey(fingerprintKey));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fingerprintKey);
            }
        }
        catch (CryptographicException)
        {
            // Read between a rotation's apply and this node switching keys, or a damaged record: no secret in the message.
            return new ConfigError(ConfigErrorCode.Retry, "a key of the keyring could not be unwrapped with this node's master key");
        }

        var command = pipeline.NewCommand(null);
        command.RotateMasterKey = rotate;
        return command;
    }
}
