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
    private readonly byte[] key;
    private readonly byte[] fingerprintKey;

    public MasterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
            throw new ArgumentException($"the master key must be {Size} bytes", nameof(key));
        this.key = key.ToArray();
        fingerprintKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, this.key, 32, info: FingerprintLabel);
    }

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
    public byte[] Fingerprint(ReadOnlySpan<byte> plaintext) => HMACSHA256.HashData(fingerprintKey, plaintext)[..16];

    private static byte[] AssociatedData(ReadOnlySpan<byte> keyId) => [.. WrapLabel, .. keyId];

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(fingerprintKey);
    }
}
