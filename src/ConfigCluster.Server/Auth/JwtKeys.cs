using System.Security.Cryptography;
using System.Text.Json;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// The public keys JWT signatures are checked against, read offline from the JWT config: PEM
/// public keys (RSA or EC, <c>jwt_validation_pubkeys</c>) and an inline JWKS document (<c>jwks</c>;
/// RSA and EC keys, matched by <c>kid</c> when the token names one). No key is fetched from a URL.
/// </summary>
public sealed class JwtKeys : IDisposable
{
    private readonly List<(string? Kid, AsymmetricAlgorithm Key)> keys = [];

    private JwtKeys()
    {
    }

    /// <summary>The keys, each with its <c>kid</c> when it came from a JWKS.</summary>
    public IReadOnlyList<(string? Kid, AsymmetricAlgorithm Key)> All => keys;

    /// <summary>Reads the keys; the error names what is wrong (never a key's bytes).</summary>
    public static (JwtKeys? Keys, string? Error) Load(IEnumerable<string> pems, string? jwksJson)
    {
        ArgumentNullException.ThrowIfNull(pems);
        var result = new JwtKeys();
        var index = 0;
        foreach (var pem in pems)
        {
            index++;
            if (ReadPem(pem) is not { } key)
            {
                result.Dispose();
                return (null, $"jwt_validation_pubkeys[{index - 1}] is not a PEM RSA or EC public key");
            }

            result.keys.Add((null, key));
        }

        if (!string.IsNullOrWhiteSpace(jwksJson) && ReadJwks(jwksJson, result.keys) is { } problem)
        {
            result.Dispose();
            return (null, problem);
        }

        if (result.keys.Count == 0)
        {
            result.Dispose();
            return (null, "the JWT config needs jwt_validation_pubkeys, jwks or jwks_url");
        }

        return (result, null);
    }

    private static AsymmetricAlgorithm? ReadPem(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            if (rsa.KeySize >= 2048)
                return rsa;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
        }

        rsa.Dispose();
        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return ec;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ec.Dispose();
            return null;
        }
    }

    private static string? ReadJwks(string json, List<(string? Kid, AsymmetricAlgorithm Key)> into)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("keys", out var list) || list.ValueKind != JsonValueKind.Array)
                return "jwks must be a JSON Web Key Set: {\"keys\": [...]}";
            var index = 0;
            foreach (var jwk in list.EnumerateArray())
            {
                if (ReadJwk(jwk) is not { } key)
                    return $"jwks key {index} is not an RSA or EC (P-256, P-384, P-521) public key";
                into.Add((jwk.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String ? kid.GetString() : null, key));
                index++;
            }

            return null;
        }
        catch (JsonException)
        {
            return "jwks is not valid JSON";
        }
    }

    private static AsymmetricAlgorithm? ReadJwk(JsonElement jwk)
    {
        if (jwk.ValueKind != JsonValueKind.Object)
            return null;
        try
        {
            switch (Text(jwk, "kty"))
            {
                case "RSA" when Bytes(jwk, "n") is { } n && Bytes(jwk, "e") is { } e:
                    var rsa = RSA.Create();
                    rsa.ImportParameters(new RSAParameters { Modulus = n, Exponent = e });
                    if (rsa.KeySize >= 2048)
                        return rsa;
                    rsa.Dispose();
                    return null;
                case "EC" when Curve(Text(jwk, "crv")) is { } curve && Bytes(jwk, "x") is { } x && Bytes(jwk, "y") is { } y:
                    return ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = x, Y = y } });
                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static ECCurve? Curve(string? name) => name switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        "P-521" => ECCurve.NamedCurves.nistP521,
        _ => null,
    };

    private static string? Text(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[]? Bytes(JsonElement element, string name)
    {
        if (Text(element, name) is not { Length: > 0 } text)
            return null;
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (_, key) in keys)
            key.Dispose();
        keys.Clear();
    }
}
