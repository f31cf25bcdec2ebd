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
    private MasterKey? masterKey = initialKey;
    private readonly ConcurrentDictionary<string, byte[]> unwrapped = new(StringComparer.Ordinal);
    private string? sealedBecause = sealedReason;

    /// <summary>Why this node cannot handle secrets, or null when it can.</summary>
    public string? SealedReason => Volatile.Read(ref sealedBecause);

    /// <summary>The master key, for wrapping a new data key; null when sealed.</summary>
    public MasterKey? MasterKey => SealedReason is null ? Volatile.Read(ref masterKey) : null;

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

        fingerprint = key.Fingerprint(plaintext);
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
            // The keyring was made with another master key: seal this node for secrets.
            Volatile.Write(ref sealedBecause, "the master key does not match the cluster's keyring");
            Log.Sealed(logger, sealedBecause!);
            error = $"this node is sealed: {sealedBecause}";
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
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "Secrets are sealed on this node: {Reason}. Plain configuration is served; secret reads and writes are refused.")]
        public static partial void Sealed(ILogger logger, string reason);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Secrets are unsealed on this node")]
        public static partial void Unsealed(ILogger logger);

        [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Decrypting version {Version} of {Path} failed: tampered or damaged ciphertext")]
        public static partial void DecryptFailed(ILogger logger, string path, long version);
    }
}
