using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>
/// Mints JWTs the way a Kubernetes API server signs service-account tokens (RS256 with an RSA key,
/// or ES256 with an EC key), for login tests. Keys live only in the test process.
/// </summary>
internal sealed class TestJwt : IDisposable
{
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";
    public const string Audience = "configcluster";

    public RSA Rsa { get; } = RSA.Create(2048);

    public ECDsa Ec { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The RSA key's public half as PEM (for <c>jwt_validation_pubkeys</c>).</summary>
    public string RsaPem => Rsa.ExportSubjectPublicKeyInfoPem();

    /// <summary>A JWKS document holding the EC key's public half under kid <c>ec-1</c>.</summary>
    public string EcJwks
    {
        get
        {
            var p = Ec.ExportParameters(false);
            return new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["kty"] = "EC",
                    ["crv"] = "P-256",
                    ["kid"] = "ec-1",
                    ["use"] = "sig",
                    ["x"] = Base64Url(p.Q.X!),
                    ["y"] = Base64Url(p.Q.Y!),
                }),
            }.ToJsonString();
        }
    }

    /// <summary>Claims of a projected service-account token for <paramref name="ns"/>/<paramref name="account"/>, valid from now for <paramref name="lifetime"/>.</summary>
    public static JsonObject ServiceAccount(string ns, string account, TimeSpan lifetime, string audience = Audience, string issuer = Issuer, DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        return new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = new JsonArray(audience),
            ["sub"] = $"system:serviceaccount:{ns}:{account}",
            ["iat"] = at.ToUnixTimeSeconds(),
            ["nbf"] = at.ToUnixTimeSeconds(),
            ["exp"] = (at + lifetime).ToUnixTimeSeconds(),
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new JsonObject { ["name"] = account, ["uid"] = Guid.NewGuid().ToString() },
            },
        };
    }

    public string SignRs256(JsonObject claims) => Sign(new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = "rsa-1" }, claims,
        data => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public string SignEs256(JsonObject claims) => Sign(new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = "ec-1" }, claims,
        data => Ec.SignData(data, HashAlgorithmName.SHA256));

    /// <summary>An unsigned token (<c>alg: none</c>): must always be refused.</summary>
    public static string Unsigned(JsonObject claims) => Part(new JsonObject { ["alg"] = "none" }) + "." + Part(claims) + ".";

    private static string Sign(JsonObject header, JsonObject claims, Func<byte[], byte[]> sign)
    {
        var signed = Part(header) + "." + Part(claims);
        return signed + "." + Base64Url(sign(Encoding.ASCII.GetBytes(signed)));
    }

    private static string Part(JsonObject json) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(json));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        Rsa.Dispose();
        Ec.Dispose();
    }
}
