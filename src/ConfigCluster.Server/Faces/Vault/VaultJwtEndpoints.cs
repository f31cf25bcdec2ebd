using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Auth;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault's JWT auth method at <c>auth/jwt</c>, which also serves Kubernetes service-account tokens:
/// keys are given inline (PEM or a JWKS document) or fetched from <c>jwks_url</c> over HTTPS (each
/// node caches the set for a few minutes), config and roles need
/// <c>admin</c>, <c>login</c> needs no token and is rate limited like every request.
/// </summary>
internal static class VaultJwtEndpoints
{
    private const string Role = "/v1/auth/jwt/role/{name}";

    public static void MapVaultJwtEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/v1/auth/jwt/config", ["POST", "PUT"], WriteConfigAsync).RequireAdmin("vault.jwt.config.write").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet("/v1/auth/jwt/config", ReadConfig).RequireAdmin("vault.jwt.config.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods(Role, ["POST", "PUT"], WriteRoleAsync).RequireAdmin("vault.jwt.role.write").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet(Role, ReadRole).RequireAdmin("vault.jwt.role.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapDelete(Role, DeleteRoleAsync).RequireAdmin("vault.jwt.role.delete").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods("/v1/auth/jwt/role", ["LIST"], ListRoles).RequireAdmin("vault.jwt.role.list").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet("/v1/auth/jwt/role", (HttpRequest request, IVersionedStore store) => request.Query["list"] is ["true" or "1"] ? ListRoles(store) : VaultErrors.NoRoute("auth/jwt/role"))
            .RequireAdmin("vault.jwt.role.list").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods("/v1/auth/jwt/login", ["POST", "PUT"], LoginAsync).AllowAnonymousAccess().WithAccessErrorShape(VaultErrors.Shape);
    }

    private static async Task<IResult> WriteConfigAsync(HttpRequest request, MachineLogin login, CancellationToken token)
    {
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            if (!PemList(root, out var pems) || pems.Any(static p => p.Length > 16 * 1024))
                return VaultErrors.BadRequest("jwt_validation_pubkeys must be a list of PEM public keys");
            if (!VaultAuthBody.TryString(root, "bound_issuer", out var issuer))
                return VaultErrors.BadRequest("bound_issuer must be a string");
            string? jwks = null;
            if (root.TryGetProperty("jwks", out var set) && set.ValueKind != JsonValueKind.Null)
                jwks = set.ValueKind switch { JsonValueKind.String => set.GetString(), JsonValueKind.Object => set.GetRawText(), _ => "\0" };
            if (jwks == "\0")
                return VaultErrors.BadRequest("jwks must be a JSON Web Key Set (an object or its JSON text)");
            if (!VaultAuthBody.TryString(root, "jwks_url", out var url) || !VaultAuthBody.TryString(root, "jwks_ca_pem", out var caPem))
                return VaultErrors.BadRequest("jwks_url and jwks_ca_pem must be strings");
            if (url is { Length: > 0 } && !JwksFetcher.IsValidUrl(url))
                return VaultErrors.BadRequest("jwks_url must be an https:// URL");
            if (caPem is { Length: > 16 * 1024 })
                return VaultErrors.BadRequest("jwks_ca_pem is too long");
            if (root.TryGetProperty("oidc_discovery_url", out var discovery) && discovery.ValueKind == JsonValueKind.String && discovery.GetString() is { Length: > 0 })
                return VaultErrors.BadRequest("oidc_discovery_url is not supported: give jwt_validation_pubkeys, jwks or jwks_url");
            var op = new JwtConfigOp { BoundIssuer = issuer ?? "", JwksJson = jwks ?? "", JwksUrl = url ?? "", JwksCaPem = url is { Length: > 0 } ? caPem ?? "" : "" };
            op.ValidationPubkeys.Add(pems);
            return await login.PutJwtConfigAsync(op, token) is { } error ? VaultErrors.From(error) : VaultResponse.NoContent();
        }
    }

    // PEM keys hold commas, so a comma-separated string is not split: a string is one key.
    private static bool PemList(JsonElement root, out List<string> pems)
    {
        pems = [];
        if (!root.TryGetProperty("jwt_validation_pubkeys", out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind == JsonValueKind.String)
        {
            pems.Add(element.GetString()!);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(static e => e.ValueKind != JsonValueKind.String))
            return false;
        pems.AddRange(element.EnumerateArray().Select(static e => e.GetString()!));
        return true;
    }

    private static IResult ReadConfig(IVersionedStore store)
    {
        if (store.JwtConfig() is not { } config)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(writer =>
        {
            VaultAuthBody.WriteList(writer, "jwt_validation_pubkeys", config.ValidationPubkeys);
            writer.WriteString("bound_issuer", config.BoundIssuer);
            writer.WriteString("jwks_url", config.JwksUrl);
            writer.WriteString("jwks_ca_pem", config.JwksCaPem);
            writer.WriteString("oidc_discovery_url", "");
            writer.WriteBoolean("jwks_configured", config.JwksJson.Length > 0);
        });
    }

    private static async Task<IResult> WriteRoleAsync(string name, HttpRequest request, MachineLogin login, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidRoleName(name))
            return VaultErrors.BadRequest("role name must be 1 to 128 of a-z A-Z 0-9 _ - .");
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            var settings = login.Store.FindJwtRole(name)?.Clone() ?? new JwtRoleSettings { RoleType = "jwt", UserClaim = "sub" };
            if (!VaultAuthBody.TryString(root, "role_type", out var type) || type is not (null or "jwt"))
                return VaultErrors.BadRequest("role_type must be \"jwt\" (OIDC browser login is not supported)");
            if (!VaultAuthBody.TryStrings(root, "token_policies", out var policies) || !VaultAuthBody.TryStrings(root, "policies", out var legacy))
                return VaultErrors.BadRequest("token_policies must be a list of policy names");
            if (!VaultAuthBody.TryStrings(root, "bound_audiences", out var audiences))
                return VaultErrors.BadRequest("bound_audiences must be a list of strings");
            if (!VaultAuthBody.TryString(root, "bound_subject", out var subject) || !VaultAuthBody.TryString(root, "user_claim", out var userClaim))
                return VaultErrors.BadRequest("bound_subject and user_claim must be strings");
            if (!VaultBody.TryDuration(root, "token_ttl", out var ttl) || !VaultBody.TryDuration(root, "token_max_ttl", out var maxTtl))
                return VaultErrors.BadRequest("token_ttl and token_max_ttl must be durations such as 30m, 1h or 3600");
            if (!TryBoundClaims(root, out var claims))
                return VaultErrors.BadRequest("bound_claims must be an object of claim names to a string or a list of strings");
            if (!VaultAuthBody.TryTokenBindings(root, out var cidrs, out var period, out var bindingError))
                return VaultErrors.BadRequest(bindingError!);
            if (cidrs is not null)
            {
                settings.TokenBoundCidrs.Clear();
                settings.TokenBoundCidrs.Add(cidrs);
            }

            settings.TokenPeriodMs = VaultAuthBody.Ms(period, settings.TokenPeriodMs);
            if ((policies ?? legacy) is { } given)
            {
                settings.TokenPolicies.Clear();
                settings.TokenPolicies.Add(VaultAuthBody.Policies(given));
            }

            if (audiences is not null)
            {
                settings.BoundAudiences.Clear();
                settings.BoundAudiences.Add(audiences);
            }

            if (claims is not null)
            {
                settings.BoundClaims.Clear();
                settings.BoundClaims.Add(claims);
            }

            settings.RoleType = "jwt";
            settings.BoundSubject = subject ?? settings.BoundSubject;
            settings.UserClaim = userClaim is { Length: > 0 } ? userClaim : settings.UserClaim;
            settings.TokenTtlMs = VaultAuthBody.Ms(ttl, settings.TokenTtlMs);
            settings.TokenMaxTtlMs = VaultAuthBody.Ms(maxTtl, settings.TokenMaxTtlMs);
            if (settings.TokenMaxTtlMs > 0 && settings.TokenTtlMs > settings.TokenMaxTtlMs)
                return VaultErrors.BadRequest("token_ttl must not be greater than token_max_ttl");
            // Vault refuses a jwt role that binds nothing: any token of the issuer would log in.
            if (settings.BoundAudiences.Count == 0 && settings.BoundSubject.Length == 0 && settings.BoundClaims.Count == 0)
                return VaultErrors.BadRequest("must have at least one bound constraint when creating/updating a role");
            return await login.PutJwtRoleAsync(name, settings, token) is { } error ? VaultErrors.From(error) : VaultResponse.NoContent();
        }
    }

    private static bool TryBoundClaims(JsonElement root, out List<BoundClaim>? claims)
    {
        claims = null;
        if (!root.TryGetProperty("bound_claims", out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind != JsonValueKind.Object)
            return false;
        claims = [];
        foreach (var property in element.EnumerateObject())
        {
            var claim = new BoundClaim { Name = property.Name };
            if (property.Value.ValueKind == JsonValueKind.String)
                claim.Values.Add(property.Value.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            else if (property.Value.ValueKind == JsonValueKind.Array && property.Value.EnumerateArray().All(static e => e.ValueKind == JsonValueKind.String))
                claim.Values.Add(property.Value.EnumerateArray().Select(static e => e.GetString()!));
            else
                return false;
            if (property.Name.Length is 0 or > 256 || claim.Values.Count == 0)
                return false;
            claims.Add(claim);
        }

        return true;
    }

    private static IResult ReadRole(string name, IVersionedStore store)
    {
        if (store.FindJwtRole(name) is not { } role)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(writer =>
        {
            writer.WriteString("role_type", role.RoleType);
            VaultAuthBody.WriteList(writer, "bound_audiences", role.BoundAudiences);
            writer.WriteString("bound_subject", role.BoundSubject);
            writer.WriteStartObject("bound_claims");
            foreach (var claim in role.BoundClaims)
                VaultAuthBody.WriteList(writer, claim.Name, claim.Values);
            writer.WriteEndObject();
            writer.WriteString("user_claim", role.UserClaim);
            VaultAuthBody.WriteList(writer, "token_policies", role.TokenPolicies);
            VaultAuthBody.WriteList(writer, "policies", role.TokenPolicies);
            writer.WriteNumber("token_ttl", role.TokenTtlMs / 1000);
            writer.WriteNumber("token_max_ttl", role.TokenMaxTtlMs / 1000);
            VaultAuthBody.WriteList(writer, "token_bound_cidrs", role.TokenBoundCidrs);
            writer.WriteNumber("token_period", role.TokenPeriodMs / 1000);
        });
    }

    private static async Task<IResult> DeleteRoleAsync(string name, MachineLogin login, CancellationToken token)
    {
        var error = await login.PutJwtRoleAsync(name, null, token);
        return error is null or { Code: ConfigErrorCode.NotFound } ? VaultResponse.NoContent() : VaultErrors.From(error);
    }

    private static IResult ListRoles(IVersionedStore store) => VaultAuthBody.Keys(store.JwtRoleNames());

    private static async Task<IResult> LoginAsync(HttpRequest request, MachineLogin login, CancellationToken token)
    {
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            if (!VaultAuthBody.TryString(root, "role", out var role) || !VaultAuthBody.TryString(root, "jwt", out var jwt))
                return VaultErrors.BadRequest("role and jwt must be strings");
            if (string.IsNullOrEmpty(role))
                return VaultErrors.BadRequest("missing role");
            if (string.IsNullOrEmpty(jwt))
                return VaultErrors.BadRequest("missing token");
            var issued = await login.JwtLoginAsync(role, jwt, token);
            if (issued.Error is { } error)
                return VaultErrors.From(error);
            return VaultAuthBody.Login(issued.Value!, new Dictionary<string, string> { ["role"] = role });
        }
    }
}
