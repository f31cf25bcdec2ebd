using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Core.Crypto;

/// <summary>
/// The master key (32 bytes) that wraps the keyring's data keys and keys the fingerprints.
/// Wrapped data key layout: <c>nonce(12) | tag(16) | sealed key(32)</c>, associated data = key id.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const int Size = 32;
    private static readonly byte[] WrapLabel = Encoding.ASCII.GetBytes("configcluster data key\0");
    private static readonly byte[] TransitLabel = Encoding.ASCII.GetBytes("configcluster transit key\0");
    private static readonly byte[] FingerprintLabel = Encoding.ASCII.GetBytes("configcluster fingerprint");
    private static readonly byte[] CheckLabel = Encoding.ASCII.GetBytes("configcluster master key check");
    private static readonly byte[] FingerprintKeyLabel = Encoding.ASCII.GetBytes("configcluster fingerprint key\0");
    private readonly byte[] key;
    private readonly byte[] fingerprintKey;
    private readonly byte[] keyCheck;

    public MasterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
            throw new ArgumentException($"the master key must be {Size} bytes", nameof(key));
        this.key = key.ToArray();
        fingerprintKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, this.key, 32, info: FingerprintLabel);
        keyCheck = HKDF.DeriveKey(HashAlgorithmName.SHA256, this.key, KeyCheckSize, info: CheckLabel);
    }

    /// <summary>Length of <see cref="KeyCheck"/>.</summary>
    public const int KeyCheckSize = 8;

    /// <summary>
    /// The key check value: 8 bytes derived one way from the key (HKDF), recorded with the keyring
    /// so a node can tell which master key the keyring is wrapped under, and say so, without
    /// revealing anything that helps to find the key.
    /// </summary>
    public ReadOnlyMemory<byte> KeyCheck => keyCheck;

    /// <summary>The key check as 16 lower-case hex digits (safe to log and show).</summary>
    public string KeyCheckText => Convert.ToHexStringLower(keyCheck);

    /// <summary>Parses base64 of 32 bytes; false (with a reason) otherwise.</summary>
    public static bool TryParse(string? base64, out MasterKey? masterKey, out string? error)
    {
        masterKey = null;
        error = null;
        try
        {
            var bytes = Convert.FromBase64String(base64?.Trim() ?? "");
            if (bytes.Length != Size)
            {
                error = $"the master key must be base64 of {Size} bytes (got {bytes.Length})";
                return false;
            }

            masterKey = new MasterKey(bytes);
            CryptographicOperations.ZeroMemory(bytes);
            return true;
        }
        catch (FormatException)
        {
            error = "the master key is not valid base64";
            return false;
        }
    }

    /// <summary>A new random data key with its id, wrapped by this master key.</summary>
    public (byte[] KeyId, byte[] Wrapped) NewWrappedDataKey()
    {
        var keyId = RandomNumberGenerator.GetBytes(SecretEnvelope.KeyIdSize);
        var dataKey = RandomNumberGenerator.GetBytes(SecretEnvelope.DataKeySize);
        try
        {
            var wrapped = new byte[12 + 16 + dataKey.Length];
            RandomNumberGenerator.Fill(wrapped.AsSpan(0, 12));
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(wrapped.AsSpan(0, 12), dataKey, wrapped.AsSpan(28), wrapped.AsSpan(12, 16), AssociatedData(keyId));
            return (keyId, wrapped);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Unwraps a data key.</summary>
    /// <exception cref="CryptographicException">This is not the master key the data key was wrapped with, or the record is damaged.</exception>
    public byte[] Unwrap(ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length != 12 + 16 + SecretEnvelope.DataKeySize)
            throw new CryptographicException("wrapped data key has the wrong length");
        var dataKey = new byte[SecretEnvelope.DataKeySize];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(wrapped[..12], wrapped[28..], wrapped.Slice(12, 16), dataKey, AssociatedData(keyId));
        return dataKey;
    }

    /// <summary>
    /// A new random transit key material of <paramref name="size"/> bytes, sealed for version
    /// <paramref name="version"/> of the key <paramref name="name"/> (layout <c>nonce(12) | tag(16) |
    /// sealed material</c>, associated data = name and version). The material itself never leaves.
    /// </summary>
    public byte[] NewWrappedTransitKey(string name, long version, int size)
    {
        var material = RandomNumberGenerator.GetBytes(size);
        try
        {
            var wrapped = new byte[12 + 16 + material.Length];
            RandomNumberGenerator.Fill(wrapped.AsSpan(0, 12));
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(wrapped.AsSpan(0, 12), material, wrapped.AsSpan(28), wrapped.AsSpan(12, 16), TransitAssociatedData(name, version));
            return wrapped;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Opens transit key material sealed by <see cref="NewWrappedTransitKey"/>.</summary>
    /// <exception cref="CryptographicException">Another master key, another key or version, or a damaged record.</exception>
    public byte[] UnwrapTransitKey(string name, long version, ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length <= 12 + 16)
            throw new CryptographicException("wrapped transit key is too short");
        var material = new byte[wrapped.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(wrapped[..12], wrapped[28..], wrapped.Slice(12, 16), material, TransitAssociatedData(name, version));
        return material;
    }

    private static byte[] TransitAssociatedData(string name, long version)
        => [.. TransitLabel, .. Encoding.UTF8.GetBytes(name), 0, .. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(version))];

    /// <summary>Keyed fingerprint of a plaintext: shows that a secret changed without showing it.</summary>
    public byte[] Fingerprint(ReadOnlySpan<byte> plaintext) => Fingerprint(fingerprintKey, plaintext);

    /// <summary>A fingerprint made with a given fingerprint key (after a rotation the keyring keeps the first master key's one, re-wrapped).</summary>
    public static byte[] Fingerprint(ReadOnlySpan<byte> fingerprintKey, ReadOnlySpan<byte> plaintext) => HMACSHA256.HashData(fingerprintKey, plaintext)[..16];

    /// <summary>A copy of the fingerprint key derived from this master key (the keyring's until its first master key rotation).</summary>
    public byte[] DerivedFingerprintKey() => (byte[])fingerprintKey.Clone();

    /// <summary>Re-wraps a data key wrapped by this master key under <paramref name="next"/> (the data key itself never leaves).</summary>
    /// <exception cref="CryptographicException">The data key was not wrapped by this master key.</exception>
    public byte[] RewrapDataKey(ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> wrapped, MasterKey next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var dataKey = Unwrap(keyId, wrapped);
        try
        {
            return next.Wrap(dataKey, AssociatedData(keyId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Re-wraps one version of a transit key's material under <paramref name="next"/>.</summary>
    /// <exception cref="CryptographicException">The material was not wrapped by this master key.</exception>
    public byte[] RewrapTransitKey(string name, long version, ReadOnlySpan<byte> wrapped, MasterKey next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var material = UnwrapTransitKey(name, version, wrapped);
        try
        {
            return next.Wrap(material, TransitAssociatedData(name, version));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Wraps a fingerprint key (32 bytes) under this master key.</summary>
    public byte[] WrapFingerprintKey(ReadOnlySpan<byte> fingerprintKeyToWrap) => Wrap(fingerprintKeyToWrap, FingerprintKeyLabel);

    /// <summary>Opens a fingerprint key wrapped by <see cref="WrapFingerprintKey"/>.</summary>
    /// <exception cref="CryptographicException">Another master key, or a damaged record.</exception>
    public byte[] UnwrapFingerprintKey(ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length != 12 + 16 + 32)
            throw new CryptographicException("wrapped fingerprint key has the wrong length");
        var material = new byte[32];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(wrapped[..12], wrapped[28..], wrapped.Slice(12, 16), material, FingerprintKeyLabel);
        return material;
    }

    // nonce(12) | tag(16) | sealed bytes, as every wrapped record here is laid out.
    private byte[] Wrap(ReadOnlySpan<byte> material, ReadOnlySpan<byte> associatedData)
    {
        var wrapped = new byte[12 + 16 + material.Length];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(wrapped.AsSpan(0, 12), material, wrapped.AsSpan(28), wrapped.AsSpan(12, 16), associatedData);
        return wrapped;
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> keyId) => [.. WrapLabel, .. keyId];

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(fingerprintKey);
    }
}
