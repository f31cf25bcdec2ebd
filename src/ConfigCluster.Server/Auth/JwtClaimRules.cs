using System.Text.Json;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// Judges a verified JWT's claims for a login: time (<c>exp</c> required, <c>nbf</c>, <c>iat</c>)
/// against the log clock with <see cref="Leeway"/>, the issuer (<c>bound_issuer</c>), the audience
/// (<c>bound_audiences</c>), the subject (<c>bound_subject</c>) and the role's <c>bound_claims</c>;
/// then names the user by <c>user_claim</c>. Messages name the claim, never its value.
/// </summary>
public static class JwtClaimRules
{
    /// <summary>Clock skew allowed between the issuer and the log clock (Vault's clock_skew_leeway default).</summary>
    public static readonly TimeSpan Leeway = TimeSpan.FromSeconds(60);

    /// <summary>The user the token names, or why the login is refused.</summary>
    public static (string? User, string? Error) Check(JsonElement claims, JwtConfigOp config, JwtRoleSettings role, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(role);
        var nowSeconds = now.ToUnixTimeSeconds();
        var leeway = (long)Leeway.TotalSeconds;
        if (NumericDate(claims, "exp") is not { } exp)
            return (null, "error validating claims: the token has no exp claim");
        if (exp + leeway <= nowSeconds)
            return (null, "error validating claims: token is expired (exp)");
        if (NumericDate(claims, "nbf") is { } nbf && nbf - leeway > nowSeconds)
            return (null, "error validating claims: token is not yet valid (nbf)");
        if (NumericDate(claims, "iat") is { } iat && iat - leeway > nowSeconds)
            return (null, "error validating claims: token issued in the future (iat)");
        if (config.BoundIssuer.Length > 0 && Text(claims, "iss") != config.BoundIssuer)
            return (null, "error validating claims: invalid issuer (iss) claim");

        var audiences = Strings(claims, "aud");
        if (role.BoundAudiences.Count > 0)
        {
            if (!audiences.Any(a => role.BoundAudiences.Contains(a)))
                return (null, "error validating claims: invalid audience (aud) claim: audience claim does not match any expected audience");
        }
        else if (audiences.Count > 0)
        {
            return (null, "error validating claims: audience claim found in JWT but no audiences bound to the role");
        }

        if (role.BoundSubject.Length > 0 && Text(claims, "sub") != role.BoundSubject)
            return (null, "error validating claims: sub claim does not match bound subject");
        foreach (var bound in role.BoundClaims)
        {
            if (!Select(claims, bound.Name, out var value) || !Matches(value, bound.Values))
                return (null, $"error validating claims: claim \"{bound.Name}\" does not match any associated bound claim values");
        }

        var userClaim = role.UserClaim.Length > 0 ? role.UserClaim : "sub";
        if (!Select(claims, userClaim, out var user) || user.ValueKind != JsonValueKind.String || user.GetString() is not { Length: > 0 } name)
            return (null, $"claim \"{userClaim}\" not found in token");
        return (name, null);
    }

    // A claim by name; else, for a name with '/', by path into nested objects ("kubernetes.io/namespace"
    // reads {"kubernetes.io": {"namespace": ...}}); a leading '/' is a JSON pointer.
    private static bool Select(JsonElement claims, string name, out JsonElement value)
    {
        if (!name.StartsWith('/') && claims.TryGetProperty(name, out value))
            return true;
        value = default;
        if (!name.Contains('/'))
            return false;
        var current = claims;
        foreach (var segment in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(key, out current))
                return false;
        }

        value = current;
        return true;
    }

    private static bool Matches(JsonElement value, IEnumerable<string> allowed) => value.ValueKind switch
    {
        JsonValueKind.String => allowed.Contains(value.GetString()),
        JsonValueKind.Array => value.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.String && allowed.Contains(e.GetString())),
        JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number => allowed.Contains(value.GetRawText()),
        _ => false,
    };

    private static long? NumericDate(JsonElement claims, string name)
        => claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) ? (long)seconds : null;

    private static string? Text(JsonElement claims, string name)
        => claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<string> Strings(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value))
            return [];
        if (value.ValueKind == JsonValueKind.String)
            return [value.GetString()!];
        return value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)] : [];
    }
}
