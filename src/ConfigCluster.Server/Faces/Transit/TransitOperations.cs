using System.Security.Cryptography;
using System.Text.Json;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Transit;

/// <summary>What one (batch) item produced: fields of its answer, or Vault's error message.</summary>
internal readonly record struct ItemResult(Action<Utf8JsonWriter>? Write, string? Error)
{
    public static ItemResult Fail(string error) => new(null, error);

    public static ItemResult Ok(Action<Utf8JsonWriter> write) => new(write, null);
}

/// <summary>
/// The transit operations on one item of a request, on this node with the key's replicated
/// material: encrypt, decrypt, rewrap, HMAC, verify, data keys. A context, when given, is the
/// associated data of the encryption (a ciphertext then opens only with the same context).
/// </summary>
internal sealed class TransitOperations(TransitKeyring keys, TransitKey key)
{
    public ItemResult Encrypt(JsonElement item)
    {
        if (TransitRequest.String(item, "plaintext") is null)
            return ItemResult.Fail("missing plaintext to encrypt");
        if (!TransitRequest.TryBase64(item, "plaintext", out var plaintext, out var error) || !TransitRequest.TryBase64(item, "context", out var context, out error))
            return ItemResult.Fail(error);
        if (!TransitRequest.TryLong(item, "key_version", 0, out var requested))
            return ItemResult.Fail("key_version must be a number");
        return EncryptCore(plaintext, context, requested, out var ciphertext, out var version) is { } failure
            ? ItemResult.Fail(failure)
            : ItemResult.Ok(w =>
            {
                w.WriteString("ciphertext", ciphertext);
                w.WriteNumber("key_version", version);
            });
    }

    public ItemResult Decrypt(JsonElement item)
    {
        if (!TransitRequest.TryBase64(item, "context", out var context, out var error))
            return ItemResult.Fail(error);
        return DecryptCore(TransitRequest.String(item, "ciphertext"), context, out var plaintext) is { } failure
            ? ItemResult.Fail(failure)
            : ItemResult.Ok(w => w.WriteBase64String("plaintext", plaintext));
    }

    public ItemResult Rewrap(JsonElement item)
    {
        if (!TransitRequest.TryBase64(item, "context", out var context, out var error))
            return ItemResult.Fail(error);
        if (!TransitRequest.TryLong(item, "key_version", 0, out var requested))
            return ItemResult.Fail("key_version must be a number");
        if (DecryptCore(TransitRequest.String(item, "ciphertext"), context, out var plaintext) is { } failure)
            return ItemResult.Fail(failure);
        try
        {
            return EncryptCore(plaintext, context, requested, out var ciphertext, out var version) is { } encryptFailure
                ? ItemResult.Fail(encryptFailure)
                : ItemResult.Ok(w =>
                {
                    w.WriteString("ciphertext", ciphertext);
                    w.WriteNumber("key_version", version);
                });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>A new random data key, sealed under this key; its plaintext too when <paramref name="withPlaintext"/>.</summary>
    public ItemResult DataKey(JsonElement item, bool withPlaintext)
    {
        if (!TransitRequest.TryLong(item, "bits", 256, out var bits) || bits is not (128 or 256 or 512))
            return ItemResult.Fail("invalid bits given: must be 128, 256 or 512");
        if (!TransitRequest.TryBase64(item, "context", out var context, out var error))
            return ItemResult.Fail(error);
        var dataKey = RandomNumberGenerator.GetBytes((int)bits / 8);
        if (EncryptCore(dataKey, context, 0, out var ciphertext, out var version) is { } failure)
            return ItemResult.Fail(failure);
        return ItemResult.Ok(w =>
        {
            w.WriteString("ciphertext", ciphertext);
            w.WriteNumber("key_version", version);
            if (withPlaintext)
                w.WriteBase64String("plaintext", dataKey);
            CryptographicOperations.ZeroMemory(dataKey);
        });
    }

    public ItemResult Hmac(JsonElement item, string? routeAlgorithm)
    {
        if (Input(item, routeAlgorithm, out var input, out var algorithm) is { } invalid)
            return ItemResult.Fail(invalid);
        if (!TransitRequest.TryLong(item, "key_version", 0, out var requested))
            return ItemResult.Fail("key_version must be a number");
        var version = requested > 0 ? requested : key.LatestVersion;
        if (version > key.LatestVersion || version < Math.Max(1, key.MinEncryptionVersion))
            return ItemResult.Fail("invalid key version");
        if (!keys.TryMaterial(key, version, out var material, out var error))
            return ItemResult.Fail(error);
        var mac = TransitCipher.Hmac(algorithm, material, input);
        return ItemResult.Ok(w => w.WriteString("hmac", TransitCiphertext.Format(version, mac)));
    }

    public ItemResult Verify(JsonElement item, string? routeAlgorithm)
    {
        if (TransitRequest.String(item, "signature") is not null)
            return ItemResult.Fail($"key type {key.Type} does not support signing");
        if (Input(item, routeAlgorithm, out var input, out var algorithm) is { } invalid)
            return ItemResult.Fail(invalid);
        if (!TransitCiphertext.TryParse(TransitRequest.String(item, "hmac"), out var version, out var mac, out var parseError))
            return ItemResult.Fail(parseError.Replace("ciphertext", "hmac", StringComparison.Ordinal));
        if (version > key.LatestVersion)
            return ItemResult.Fail("invalid key version");
        if (version < key.MinDecryptionVersion)
            return ItemResult.Fail("ciphertext or signature version is disallowed by policy (too old)");
        if (!keys.TryMaterial(key, version, out var material, out var error))
            return ItemResult.Fail(error);
        var valid = CryptographicOperations.FixedTimeEquals(TransitCipher.Hmac(algorithm, material, input), mac);
        return ItemResult.Ok(w => w.WriteBoolean("valid", valid));
    }

    private static string? Input(JsonElement item, string? routeAlgorithm, out byte[] input, out string algorithm)
    {
        algorithm = routeAlgorithm ?? TransitRequest.String(item, "algorithm") ?? TransitRequest.String(item, "hash_algorithm") ?? "sha2-256";
        input = [];
        if (!TransitCipher.IsHmacAlgorithm(algorithm))
            return $"unsupported algorithm {algorithm}";
        if (TransitRequest.String(item, "input") is null)
            return "missing input for HMAC";
        return TransitRequest.TryBase64(item, "input", out input, out var error) ? null : error;
    }

    private string? EncryptCore(byte[] plaintext, byte[] context, long requested, out string ciphertext, out long version)
    {
        ciphertext = "";
        version = requested > 0 ? requested : key.LatestVersion;
        if (version > key.LatestVersion)
            return "cannot encrypt with a key version greater than the latest";
        if (version < Math.Max(1, key.MinEncryptionVersion))
            return "requested version for encryption is less than the minimum encryption key version";
        if (!keys.TryMaterial(key, version, out var material, out var error))
            return error;
        ciphertext = TransitCiphertext.Format(version, TransitCipher.Encrypt(key.Type, material, plaintext, AssociatedData(context)));
        return null;
    }

    private string? DecryptCore(string? text, byte[] context, out byte[] plaintext)
    {
        plaintext = [];
        if (text is null)
            return "missing ciphertext to decrypt";
        if (!TransitCiphertext.TryParse(text, out var version, out var data, out var parseError))
            return parseError;
        if (version > key.LatestVersion)
            return "invalid key version";
        if (version < key.MinDecryptionVersion)
            return "ciphertext or signature version is disallowed by policy (too old)";
        if (!keys.TryMaterial(key, version, out var material, out var error))
            return error;
        return TransitCipher.TryDecrypt(key.Type, material, data, AssociatedData(context), out plaintext) ? null : "cipher: message authentication failed";
    }

    // The key's name and the caller's context bind each ciphertext: one made under another key
    // (or another context) does not open.
    private byte[] AssociatedData(byte[] context) => [.. System.Text.Encoding.UTF8.GetBytes(key.Name), 0, .. context];
}
