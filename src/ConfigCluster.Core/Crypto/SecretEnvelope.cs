using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Core.Crypto;

/// <summary>
/// AES-256-GCM envelope for secret values. Layout:
/// <code>format(1)=1 | keyId(16) | nonce(12) | tag(16) | ciphertext</code>
/// The associated data binds namespace, environment, key and version, so an envelope copied to
/// another key or version does not open. A fresh random nonce is drawn for every seal.
/// </summary>
public static class SecretEnvelope
{
    public const byte Format = 1;
    public const int KeyIdSize = 16, NonceSize = 12, TagSize = 16, DataKeySize = 32;
    private const int HeaderSize = 1 + KeyIdSize + NonceSize + TagSize;

    /// <summary>Seals <paramref name="plaintext"/> for <paramref name="path"/> at <paramref name="version"/>.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> dataKey, KeyPath path, long version)
    {
        if (keyId.Length != KeyIdSize)
            throw new ArgumentException("key id must be 16 bytes", nameof(keyId));
        var envelope = new byte[HeaderSize + plaintext.Length];
        envelope[0] = Format;
        keyId.CopyTo(envelope.AsSpan(1));
        var nonce = envelope.AsSpan(1 + KeyIdSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(dataKey, TagSize);
        aes.Encrypt(nonce, plaintext, envelope.AsSpan(HeaderSize), envelope.AsSpan(1 + KeyIdSize + NonceSize, TagSize), AssociatedData(path, version));
        return envelope;
    }

    /// <summary>Reads the data key id from an envelope.</summary>
    /// <exception cref="CryptographicException">Not an envelope of a known format.</exception>
    public static ReadOnlySpan<byte> KeyIdOf(ReadOnlySpan<byte> envelope)
    {
        if (envelope.Length < HeaderSize || envelope[0] != Format)
            throw new CryptographicException("not a secret envelope of a known format");
        return envelope.Slice(1, KeyIdSize);
    }

    /// <summary>Opens an envelope sealed for <paramref name="path"/> at <paramref name="version"/>.</summary>
    /// <exception cref="CryptographicException">Wrong key, tampered data, or sealed for another key or version.</exception>
    public static byte[] Open(ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> dataKey, KeyPath path, long version)
    {
        KeyIdOf(envelope);
        var plaintext = new byte[envelope.Length - HeaderSize];
        using var aes = new AesGcm(dataKey, TagSize);
        aes.Decrypt(
            envelope.Slice(1 + KeyIdSize, NonceSize),
            envelope[HeaderSize..],
            envelope.Slice(1 + KeyIdSize + NonceSize, TagSize),
            plaintext,
            AssociatedData(path, version));
        return plaintext;
    }

    private static byte[] AssociatedData(KeyPath path, long version)
    {
        var text = Encoding.UTF8.GetBytes($"configcluster/v1\0{path.Namespace}\0{path.Environment}\0{path.Key}\0");
        var data = new byte[text.Length + sizeof(long)];
        text.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(text.Length), version);
        return data;
    }
}
