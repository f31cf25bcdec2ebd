using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// Checks a compact JWS (a JWT) offline: its signature with one of <see cref="JwtKeys"/> (RS256/384/512,
/// PS256/384/512, ES256/384/512; never <c>none</c> or a shared-secret HMAC), then hands back its claims.
/// Claims (time, issuer, audience, bindings) are judged by <see cref="JwtClaimRules"/>. Error
/// messages never quote the token.
/// </summary>
public static class JwtVerifier
{
    /// <summary>Largest token accepted (a Kubernetes service-account token is about 1 KiB).</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The token's claims (a JSON object, owned by the caller), or why it is refused.</summary>
    public static (JsonDocument? Claims, string? Error) Verify(string jwt, JwtKeys keys)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentNullException.ThrowIfNull(keys);
        if (jwt.Length is 0 or > MaxLength)
            return (null, "the token is empty or too long");
        var parts = jwt.Split('.');
        if (parts.Length != 3)
            return (null, "the token is not a compact JWS (three base64url parts)");
        if (Decode(parts[0]) is not { } headerBytes || Decode(parts[1]) is not { } payloadBytes || Decode(parts[2]) is not { } signature)
            return (null, "the token is not valid base64url");

        string? alg, kid;
        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                return (null, "the token header is not a JSON object");
            alg = header.RootElement.TryGetProperty("alg", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            kid = header.RootElement.TryGetProperty("kid", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        }
        catch (JsonException)
        {
            return (null, "the token header is not JSON");
        }

        if (Algorithm(alg) is not { } algorithm)
            return (null, "unsupported signing algorithm (RS256/384/512, PS256/384/512, ES256/384/512)");
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var candidates = keys.All.Where(key => kid is null || key.Kid is null || key.Kid == kid).ToList();
        if (!candidates.Any(candidate => Verifies(candidate.Key, algorithm, signed, signature)))
            return (null, "error validating signature: no configured key verifies it");

        try
        {
            var claims = JsonDocument.Parse(payloadBytes);
            if (claims.RootElement.ValueKind == JsonValueKind.Object)
                return (claims, null);
            claims.Dispose();
        }
        catch (JsonException)
        {
        }

        return (null, "the token claims are not a JSON object");
    }

    private sealed record Alg(bool Rsa, HashAlgorithmName Hash, RSASignaturePadding? Padding);

    private static Alg? Algorithm(string? name) => name switch
    {
        "RS256" => new(true, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        "RS384" => new(true, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
        "RS512" => new(true, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
        "PS256" => new(true, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
        "PS384" => new(true, HashAlgorithmName.SHA384, RSASignaturePadding.Pss),
        "PS512" => new(true, HashAlgorithmName.SHA512, RSASignaturePadding.Pss),
        "ES256" => new(false, HashAlgorithmName.SHA256, null),
        "ES384" => new(false, HashAlgorithmName.SHA384, null),
        "ES512" => new(false, HashAlgorithmName.SHA512, null),
        _ => null,
    };

    private static bool Verifies(AsymmetricAlgorithm key, Alg alg, byte[] data, byte[] signature)
    {
        try
        {
            return key switch
            {
                RSA rsa when alg.Rsa => rsa.VerifyData(data, signature, alg.Hash, alg.Padding!),
                ECDsa ec when !alg.Rsa => ec.VerifyData(data, signature, alg.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static byte[]? Decode(string part)
    {
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(part);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
