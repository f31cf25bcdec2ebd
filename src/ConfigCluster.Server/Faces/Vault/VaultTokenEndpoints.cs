using System.Text.Json;
using ConfigCluster.Server.Acl;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault's token API over ConfigCluster's tokens: lookup-self, renew-self and revoke-self need only
/// a working token (they act on it); create needs <c>admin</c> (a token may carry any policy).
/// </summary>
internal static class VaultTokenEndpoints
{
    public static void MapVaultTokenEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/auth/token/lookup-self", LookupSelf).RequireToken("vault.token.lookup-self").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/auth/token/create", CreateAsync).RequireAdmin("vault.token.create").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/auth/token/renew-self", RenewSelfAsync).RequireToken("vault.token.renew-self").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapPost("/v1/auth/token/revoke-self", RevokeSelfAsync).RequireToken("vault.token.revoke-self").WithAccessErrorShape(VaultErrors.Shape);
    }

    // The caller's token as stored (the gate has just authenticated it).
    private static StoredToken? Self(HttpContext context, IVersionedStore store)
        => context.Items[AccessMiddleware.BearerItem] is string bearer ? store.FindToken(TokenAuthenticator.Hash(bearer)) : null;

    private static IResult LookupSelf(HttpContext context, IVersionedStore store, TimeProvider clock)
    {
        if (Self(context, store) is not { } self || context.Items[AccessMiddleware.BearerItem] is not string bearer)
            return VaultErrors.Result(StatusCodes.Status403Forbidden, "permission denied");
        var now = new Auth.LogClock(store, clock).Now();
        return VaultResponse.Data(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("accessor", self.Accessor);
            writer.WriteNumber("creation_time", self.CreatedAt.ToUnixTimeSeconds());
            writer.WriteNumber("creation_ttl", (long)(self.Ttl?.TotalSeconds ?? 0));
            writer.WriteString("display_name", self.Name);
            writer.WriteString("entity_id", "");
            if (self.ExpiresAt is { } expires)
                writer.WriteString("expire_time", VaultResponse.Time(expires));
            else
                writer.WriteNull("expire_time");
            writer.WriteNumber("explicit_max_ttl", (long)(self.MaxTtl?.TotalSeconds ?? 0));
            // Vault shows the token to its holder; it came in this very request.
            writer.WriteString("id", bearer);
            writer.WriteString("issue_time", VaultResponse.Time(self.CreatedAt));
            writer.WriteNull("meta");
            writer.WriteNumber("num_uses", 0);
            writer.WriteBoolean("orphan", true);
            writer.WriteString("path", "auth/token/create");
            if (self.Period is { } tokenPeriod)
                writer.WriteNumber("period", (long)tokenPeriod.TotalSeconds);
            if (self.BoundCidrs.Count > 0)
                VaultAuthBody.WriteList(writer, "bound_cidrs", self.BoundCidrs);
            WritePolicies(writer, "policies", self.Policies);
            writer.WriteBoolean("renewable", self.Renewable);
            writer.WriteNumber("ttl", self.ExpiresAt is { } e ? Math.Max(0, (long)(e - now).TotalSeconds) : 0);
            writer.WriteString("type", "service");
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> CreateAsync(HttpContext context, AclService acl, CancellationToken token)
    {
        var (body, problem) = await VaultBody.ReadAsync(context.Request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            List<string>? policies = null;
            if (root.TryGetProperty("policies", out var list) && list.ValueKind != JsonValueKind.Null)
            {
                if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(static p => p.ValueKind != JsonValueKind.String))
                    return VaultErrors.BadRequest("policies must be a list of policy names");
                policies = [.. list.EnumerateArray().Select(static p => p.GetString()!).Where(static p => p != "default")];
            }

            if (!VaultBody.TryDuration(root, "ttl", out var ttl))
                return VaultErrors.BadRequest("ttl must be a duration such as 30m, 1h or 3600");
            if (!VaultBody.TryBool(root, "renewable", out var renewable))
                return VaultErrors.BadRequest("renewable must be true or false");
            if (!VaultBody.TryDuration(root, "period", out var period) || period is { } p && p < TimeSpan.Zero)
                return VaultErrors.BadRequest("period must be a duration such as 30m, 1h or 3600");
            // Vault: a periodic token's TTL is its period (ttl is ignored).
            if (period is { } every && every > TimeSpan.Zero)
                ttl = null;
            else
                period = null;
            var displayName = root.TryGetProperty("display_name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } given ? given : "token";
            // Like Vault, a token created without policies gets its creator's.
            policies ??= [.. (CallerIdentity.Current?.Policies ?? [])];
            var created = await acl.CreateTokenAsync(displayName.StartsWith("token-", StringComparison.Ordinal) ? displayName : "token-" + displayName, policies,
                ttl is { } t && t > TimeSpan.Zero ? t : null, token, renewable: renewable ?? true, period: period);
            if (created.Error is { } error)
                return VaultErrors.From(error);
            var result = created.Value!;
            var leaseSeconds = (period ?? ttl) is { } life && life > TimeSpan.Zero ? (long)life.TotalSeconds : 0;
            return VaultResponse.Auth(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("client_token", result.Token);
                writer.WriteString("accessor", result.Accessor);
                WritePolicies(writer, "policies", policies);
                WritePolicies(writer, "token_policies", policies);
                writer.WriteNull("metadata");
                writer.WriteNumber("lease_duration", leaseSeconds);
                writer.WriteBoolean("renewable", (period is not null || (renewable ?? true)) && leaseSeconds > 0);
                writer.WriteString("entity_id", "");
                writer.WriteString("token_type", "service");
                writer.WriteBoolean("orphan", true);
                writer.WriteNull("mfa_requirement");
                writer.WriteNumber("num_uses", 0);
                writer.WriteEndObject();
            });
        }
    }

    private static async Task<IResult> RenewSelfAsync(HttpContext context, IVersionedStore store, AclService acl, TimeProvider clock, CancellationToken token)
    {
        if (Self(context, store) is not { } self || context.Items[AccessMiddleware.BearerItem] is not string bearer)
            return VaultErrors.Result(StatusCodes.Status403Forbidden, "permission denied");
        var (body, problem) = await VaultBody.ReadAsync(context.Request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            if (!VaultBody.TryDuration(body!.RootElement, "increment", out var increment))
                return VaultErrors.BadRequest("increment must be a duration such as 30m, 1h or 3600");
            if (!self.Renewable || self.Ttl is not { } ttl)
                return VaultErrors.BadRequest("lease is not renewable");
            var renewed = await acl.RenewAsync(self.Accessor, TokenAuthenticator.Hash(bearer), increment is { } i && i > TimeSpan.Zero ? i : ttl, token);
            if (renewed.Error is { } error)
                return VaultErrors.From(error);
            // What the renewal gave, judged by the log clock: less than asked once the max TTL caps it.
            // A periodic token gets its period whatever increment was asked for.
            var asked = (long)(self.Period ?? (increment is { } given && given > TimeSpan.Zero ? given : ttl)).TotalSeconds;
            var seconds = Math.Clamp((long)Math.Round((renewed.Value - new Auth.LogClock(store, clock).Now()).TotalSeconds), 0, asked);
            return VaultResponse.Auth(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("accessor", self.Accessor);
                WritePolicies(writer, "policies", self.Policies);
                WritePolicies(writer, "token_policies", self.Policies);
                writer.WriteNull("metadata");
                writer.WriteNumber("lease_duration", seconds);
                writer.WriteBoolean("renewable", true);
                writer.WriteString("entity_id", "");
                writer.WriteString("token_type", "service");
                writer.WriteBoolean("orphan", true);
                writer.WriteEndObject();
            });
        }
    }

    private static async Task<IResult> RevokeSelfAsync(HttpContext context, IVersionedStore store, AclService acl, CancellationToken token)
    {
        if (Self(context, store) is not { } self)
            return VaultErrors.Result(StatusCodes.Status403Forbidden, "permission denied");
        return await acl.RevokeAsync(self.Accessor, token) is { } error ? VaultErrors.From(error) : VaultResponse.NoContent();
    }

    private static void WritePolicies(Utf8JsonWriter writer, string name, IEnumerable<string> policies)
    {
        writer.WriteStartArray(name);
        foreach (var policy in policies)
            writer.WriteStringValue(policy);
        writer.WriteEndArray();
    }
}
