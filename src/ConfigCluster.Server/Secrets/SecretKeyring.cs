using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Secrets;

/// <summary>
/// This node's view of the replicated keyring: unwraps data keys with the master key (cached),
/// seals new secret values under the newest data key and opens stored ones. A node without the
/// right master key is sealed: it says so and never returns garbage or an empty value.
/// </summary>
public sealed partial class SecretKeyring(MasterKey? initialKey, string? sealedReason, IVersionedStore store, ILogger<SecretKeyring> logger) : IDisposable
{
    private const string LegacyMismatch = "the master key does not match the cluster's keyring";
    private MasterKey? masterKey = initialKey;
    // A master key given for a rotation this node has not applied yet: adopted when the keyring
    // records it (MasterKeyRotation), so this node never seals during its own rotation.
    private MasterKey? nextKey;
    private readonly ConcurrentDictionary<string, byte[]> unwrapped = new(StringComparer.Ordinal);
    private string? sealedBecause = sealedReason;
    // Before any master key rotation the keyring records no key check: a key that fails to unwrap
    // a data key seals the node until it is unsealed (or a rotation record shows which key is right).
    private bool unwrapFailed;
    private FingerprintKey? fingerprintKey;
    private long mismatchLogged = -1;

    /// <summary>Why this node cannot handle secrets, or null when it can.</summary>
    public string? SealedReason
    {
        get
        {
            if (Volatile.Read(ref sealedBecause) is { } reason)
                return reason;
            if (Volatile.Read(ref masterKey) is not { } key)
                return "no master key";
            if (store.MasterKeyWrapping() is not { } wrapping)
                return Volatile.Read(ref unwrapFailed) ? LegacyMismatch : null;
            if (wrapping.KeyCheck.Span.SequenceEqual(key.KeyCheck.Span) || AdoptNextKey(wrapping))
                return null;
            var mismatch = $"the keyring is wrapped under master key {wrapping.KeyCheckText} (rotation {wrapping.Generation}, {wrapping.RotatedAt.UtcDateTime:u}) but this node holds master key {key.KeyCheckText}: unseal it with the current master key (POST /v1/sys/unseal)";
            if (Interlocked.Exchange(ref mismatchLogged, wrapping.Generation) != wrapping.Generation)
                Log.Sealed(logger, mismatch);
            return mismatch;
        }
    }

    /// <summary>The master key, for wrapping a new data key; null when sealed.</summary>
    public MasterKey? MasterKey => SealedReason is null ? Volatile.Read(ref masterKey) : null;

    /// <summary>
    /// Keeps <paramref name="key"/> (taking ownership) as this node's next master key: it replaces
    /// the current one as soon as the replicated keyring records a rotation to it.
    /// </summary>
    public void StageNextKey(MasterKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (unwrapped)
            Interlocked.Exchange(ref nextKey, key)?.Dispose();
        Log.NextKeyStaged(logger, key.KeyCheckText);
    }

    /// <summary>The key check of the staged next master key, or null.</summary>
    public string? StagedKeyCheck => Volatile.Read(ref nextKey)?.KeyCheckText;

    /// <summary>The fingerprint key (copy) as it stands: for a master key rotation to carry over.</summary>
    internal byte[] CurrentFingerprintKey(MasterKey key)
    {
        var cached = FingerprintKeyFor(key);
        return cached is null ? key.DerivedFingerprintKey() : (byte[])cached.Clone();
    }

    private bool AdoptNextKey(KeyringWrapping wrapping)
    {
        lock (unwrapped)
        {
            if (Volatile.Read(ref nextKey) is not { } next || !wrapping.KeyCheck.Span.SequenceEqual(next.KeyCheck.Span))
                return false;
            Volatile.Write(ref nextKey, null);
            // The data keys themselves did not change: what this node has unwrapped stays valid.
            Interlocked.Exchange(ref masterKey, next)?.Dispose();
            Volatile.Write(ref unwrapFailed, false);
            Log.NextKeyAdopted(logger, next.KeyCheckText, wrapping.Generation);
            return true;
        }
    }

    // After a rotation the keyring keeps the first master key's fingerprint key, wrapped under the
    // current one, so fingerprints stay comparable; before, it is derived from the master key.
    private byte[]? FingerprintKeyFor(MasterKey key)
    {
        if (store.MasterKeyWrapping() is not { WrappedFingerprintKey.IsEmpty: false } wrapping)
            return null;
        if (Volatile.Read(ref fingerprintKey) is { } cached && cached.Generation == wrapping.Generation)
            return cached.Key;
        var fresh = new FingerprintKey(wrapping.Generation, key.UnwrapFingerprintKey(wrapping.WrappedFingerprintKey.Span));
        Volatile.Write(ref fingerprintKey, fresh);
        return fresh.Key;
    }

    private sealed record FingerprintKey(long Generation, byte[] Key);

    /// <summary>True when the keyring has at least one data key.</summary>
    public bool HasDataKey => store.DataKeys().Count > 0;

    /// <summary>Seals a value for <paramref name="path"/> at <paramref name="version"/> under the newest data key.</summary>
    public bool TrySeal(ReadOnlySpan<byte> plaintext, KeyPath path, long version, [NotNullWhen(true)] out byte[]? envelope, [NotNullWhen(true)] out byte[]? fingerprint, [NotNullWhen(false)] out string? error)
    {
        envelope = fingerprint = null;
        var keys = store.DataKeys();
        if (keys.Count == 0)
        {
            error = "the keyring has no data key yet";
            return false;
        }

        var newest = keys[^1];
        if (!TryGetDataKey(newest.KeyId.Span, out var dataKey, out error))
            return false;
        envelope = SecretEnvelope.Seal(plaintext, newest.KeyId.Span, dataKey, path, version);
        if (Volatile.Read(ref masterKey) is not { } key)
        {
            error = $"this node is sealed: {SealedReason}";
            envelope = null;
            return false;
        }

        try
        {
            fingerprint = FingerprintKeyFor(key) is { } fingerprintKeyBytes ? Core.Crypto.MasterKey.Fingerprint(fingerprintKeyBytes, plaintext) : key.Fingerprint(plaintext);
        }
        catch (CryptographicException)
        {
            // The keyring was re-wrapped between the seal check and here: the writer retries.
            error = "the master key changed while the secret was sealed";
            envelope = null;
            return false;
        }

        return true;
    }

    /// <summary>Opens a stored secret value; fails with a clear reason, never with a wrong value.</summary>
    public bool TryOpen(ReadOnlySpan<byte> envelope, KeyPath path, long version, [NotNullWhen(true)] out byte[]? plaintext, [NotNullWhen(false)] out string? error)
    {
        plaintext = null;
        try
        {
            if (!TryGetDataKey(SecretEnvelope.KeyIdOf(envelope), out var dataKey, out error))
                return false;
            plaintext = SecretEnvelope.Open(envelope, dataKey, path, version);
            return true;
        }
        catch (CryptographicException)
        {
            Log.DecryptFailed(logger, path.ToString(), version);
            error = $"version {version} of secret '{path.Key}' could not be decrypted (damaged or tampered)";
            return false;
        }
    }

    /// <summary>The newest data key's id, or empty when the keyring is empty.</summary>
    public ReadOnlyMemory<byte> NewestKeyId => store.DataKeys() is { Count: > 0 } keys ? keys[^1].KeyId : ReadOnlyMemory<byte>.Empty;

    private bool TryGetDataKey(ReadOnlySpan<byte> keyId, [NotNullWhen(true)] out byte[]? dataKey, [NotNullWhen(false)] out string? error)
    {
        dataKey = null;
        if (SealedReason is { } reason)
        {
            error = $"this node is sealed: {reason}";
            return false;
        }

        var id = Convert.ToHexStringLower(keyId);
        if (unwrapped.TryGetValue(id, out dataKey))
        {
            error = null;
            return true;
        }

        WrappedDataKey? record = null;
        foreach (var candidate in store.DataKeys())
        {
            if (candidate.KeyId.Span.SequenceEqual(keyId))
                record = candidate;
        }

        if (record is null)
        {
            error = $"data key {id[..8]} is not in the keyring";
            return false;
        }

        try
        {
            if (Volatile.Read(ref masterKey) is not { } key)
            {
                error = $"this node is sealed: {SealedReason}";
                return false;
            }

            dataKey = key.Unwrap(record.KeyId.Span, record.Wrapped.Span);
            unwrapped[id] = dataKey;
            error = null;
            return true;
        }
        catch (CryptographicException)
        {
            if (store.MasterKeyWrapping() is not null)
            {
                // The key check matched (or the keyring was re-wrapped meanwhile): a damaged record or a race.
                error = $"data key {id[..8]} could not be unwrapped with this node's master key";
                return false;
            }

            // The keyring was made with another master key: seal this node for secrets.
            Volatile.Write(ref unwrapFailed, true);
            Log.Sealed(logger, LegacyMismatch);
            error = $"this node is sealed: {LegacyMismatch}";
            return false;
        }
    }

    /// <summary>
    /// Emergency seal: this node forgets its master key and every unwrapped data key at once, and
    /// serves no secret until unsealed (<see cref="TryUnseal"/>). Plain configuration is still served.
    /// </summary>
    public void Seal(string reason)
    {
        lock (unwrapped)
        {
            Volatile.Write(ref sealedBecause, reason);
            Interlocked.Exchange(ref masterKey, null)?.Dispose();
            Interlocked.Exchange(ref nextKey, null)?.Dispose();
            if (Interlocked.Exchange(ref fingerprintKey, null) is { } fingerprint)
                CryptographicOperations.ZeroMemory(fingerprint.Key);
            foreach (var key in unwrapped.Values)
                CryptographicOperations.ZeroMemory(key);
            unwrapped.Clear();
        }

        Log.Sealed(logger, reason);
    }

    /// <summary>
    /// Unseals with <paramref name="key"/> (taking ownership of it) when it opens the cluster's
    /// keyring (any key does while the keyring is empty); otherwise the node stays sealed.
    /// </summary>
    public bool TryUnseal(MasterKey key, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (store.MasterKeyWrapping() is { } wrapping && !wrapping.KeyCheck.Span.SequenceEqual(key.KeyCheck.Span))
        {
            key.Dispose();
            error = $"the key does not open the cluster's keyring (it is wrapped under master key {wrapping.KeyCheckText})";
            return false;
        }

        if (store.DataKeys() is { Count: > 0 } keys)
        {
            try
            {
                CryptographicOperations.ZeroMemory(key.Unwrap(keys[^1].KeyId.Span, keys[^1].Wrapped.Span));
            }
            catch (CryptographicException)
            {
                key.Dispose();
                error = "the key does not open the cluster's keyring";
                return false;
            }
        }

        lock (unwrapped)
        {
            Interlocked.Exchange(ref masterKey, key)?.Dispose();
            Volatile.Write(ref unwrapFailed, false);
            Volatile.Write(ref sealedBecause, null);
        }

        Log.Unsealed(logger);
        error = null;
        return true;
    }

    /// <summary>Checks the master key against the keyring (at start and after changes), logging when sealed.</summary>
    public void Verify()
    {
        if (SealedReason is { } reason)
        {
            Log.Sealed(logger, reason);
            return;
        }

        if (store.DataKeys() is { Count: > 0 } keys)
            TryGetDataKey(keys[^1].KeyId.Span, out _, out _);
    }

    public void Dispose()
    {
        foreach (var key in unwrapped.Values)
            CryptographicOperations.ZeroMemory(key);
        masterKey?.Dispose();
        nextKey?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "Secrets are sealed on this node: {Reason}. Plain configuration is served; secret reads and writes are refused.")]
        public static partial void Sealed(ILogger logger, string reason);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Secrets are unsealed on this node")]
        public static partial void Unsealed(ILogger logger);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "A next master key (check {KeyCheck}) is staged: this node adopts it when the keyring is re-wrapped under it")]
        public static partial void NextKeyStaged(ILogger logger, string keyCheck);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "The keyring was re-wrapped under master key {KeyCheck} (rotation {Generation}): this node now uses it")]
        public static partial void NextKeyAdopted(ILogger logger, string keyCheck, long generation);

        [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Decrypting version {Version} of {Path} failed: tampered or damaged ciphertext")]
        public static partial void DecryptFailed(ILogger logger, string path, long version);
    }
}
