using System.Security.Cryptography;
using System.Text;

namespace ConfigCluster.Core.Crypto;

/// <summary>
/// The transit face's cryptography over one key version's material (32 bytes): authenticated
/// encryption in Vault's layout (<c>nonce(12) | ciphertext | tag(16)</c>, optional associated
/// data), and HMACs under a key derived from the material (never the encryption key itself).
/// </summary>
public static class TransitCipher
{
    /// <summary>Vault's default key type.</summary>
    public const string Aes256Gcm96 = "aes256-gcm96";

    /// <summary>ChaCha20-Poly1305 (when the platform's crypto library provides it).</summary>
    public const string ChaCha20Poly1305Type = "chacha20-poly1305";

    /// <summary>Key material size for both types.</summary>
    public const int MaterialSize = 32;

    private const int NonceSize = 12, TagSize = 16;
    private static readonly byte[] HmacLabel = Encoding.ASCII.GetBytes("configcluster transit hmac");

    /// <summary>Whether this platform can use keys of <paramref name="type"/>.</summary>
    public static bool IsSupported(string type) => type switch
    {
        Aes256Gcm96 => AesGcm.IsSupported,
        ChaCha20Poly1305Type => ChaCha20Poly1305.IsSupported,
        _ => false,
    };

    /// <summary>Encrypts with a fresh random nonce.</summary>
    public static byte[] Encrypt(string type, ReadOnlySpan<byte> material, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var ciphertext = output.AsSpan(NonceSize, plaintext.Length);
        var tag = output.AsSpan(NonceSize + plaintext.Length, TagSize);
        if (type == ChaCha20Poly1305Type)
        {
            using var chacha = new ChaCha20Poly1305(material);
            chacha.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }
        else
        {
            using var aes = new AesGcm(material, TagSize);
            aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        }

        return output;
    }

    /// <summary>Decrypts; false when the data is too short or does not authenticate (tampered, wrong key or context).</summary>
    public static bool TryDecrypt(string type, ReadOnlySpan<byte> material, ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData, out byte[] plaintext)
    {
        plaintext = [];
        if (sealedData.Length < NonceSize + TagSize)
            return false;
        var output = new byte[sealedData.Length - NonceSize - TagSize];
        var nonce = sealedData[..NonceSize];
        var ciphertext = sealedData.Slice(NonceSize, output.Length);
        var tag = sealedData[^TagSize..];
        try
        {
            if (type == ChaCha20Poly1305Type)
            {
                using var chacha = new ChaCha20Poly1305(material);
                chacha.Decrypt(nonce, ciphertext, tag, output, associatedData);
            }
            else
            {
                using var aes = new AesGcm(material, TagSize);
                aes.Decrypt(nonce, ciphertext, tag, output, associatedData);
            }
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        plaintext = output;
        return true;
    }

    /// <summary>The HMAC algorithms accepted, by Vault's names (Vault's sha2-224 and sha3-* are not offered: .NET has no HMAC for them everywhere).</summary>
    public static bool IsHmacAlgorithm(string name) => name is "sha2-256" or "sha2-384" or "sha2-512";

    /// <summary>HMAC of <paramref name="input"/> with <paramref name="algorithm"/> (a Vault name, see <see cref="IsHmacAlgorithm"/>).</summary>
    public static byte[] Hmac(string algorithm, ReadOnlySpan<byte> material, ReadOnlySpan<byte> input)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, material.ToArray(), 32, info: HmacLabel);
        try
        {
            return algorithm switch
            {
                "sha2-384" => HMACSHA384.HashData(key, input),
                "sha2-512" => HMACSHA512.HashData(key, input),
                _ => HMACSHA256.HashData(key, input),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
