using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Auth;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Vault;

/// <summary>
/// Vault's AppRole auth method at <c>auth/approle</c>: roles, role ids and secret ids need
/// <c>admin</c>; <c>login</c> needs no token (it is how a machine gets one) and is rate limited
/// like every request (<c>--rate-limit-source</c>). A secret id is shown once; only its hash is kept.
/// </summary>
internal static class VaultAppRoleEndpoints
{
    private const string Role = "/v1/auth/approle/role/{name}";

    public static void MapVaultAppRoleEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods(Role, ["POST", "PUT"], WriteRoleAsync).RequireAdmin("vault.approle.role.write").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet(Role, ReadRole).RequireAdmin("vault.approle.role.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapDelete(Role, DeleteRoleAsync).RequireAdmin("vault.approle.role.delete").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods("/v1/auth/approle/role", ["LIST"], ListRoles).RequireAdmin("vault.approle.role.list").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet("/v1/auth/approle/role", (HttpRequest request, IVersionedStore store) => request.Query["list"] is ["true" or "1"] ? ListRoles(store) : VaultErrors.NoRoute("auth/approle/role"))
            .RequireAdmin("vault.approle.role.list").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapGet(Role + "/role-id", ReadRoleId).RequireAdmin("vault.approle.role-id.read").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods(Role + "/secret-id", ["POST", "PUT"], NewSecretIdAsync).RequireAdmin("vault.approle.secret-id.create").WithAccessErrorShape(VaultErrors.Shape);
        routes.MapMethods("/v1/auth/approle/login", ["POST", "PUT"], LoginAsync).AllowAnonymousAccess().WithAccessErrorShape(VaultErrors.Shape);
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
            var settings = login.Store.FindAppRole(name)?.Clone() ?? new AppRoleSettings { BindSecretId = true };
            if (!VaultAuthBody.TryStrings(root, "token_policies", out var policies) || !VaultAuthBody.TryStrings(root, "policies", out var legacy))
                return VaultErrors.BadRequest("token_policies must be a list of policy names");
            if (!VaultBody.TryDuration(root, "token_ttl", out var ttl) || !VaultBody.TryDuration(root, "token_max_ttl", out var maxTtl) || !VaultBody.TryDuration(root, "secret_id_ttl", out var secretTtl))
                return VaultErrors.BadRequest("token_ttl, token_max_ttl and secret_id_ttl must be durations such as 30m, 1h or 3600");
            if (!VaultBody.TryLong(root, "secret_id_num_uses", out var uses) || uses < 0)
                return VaultErrors.BadRequest("secret_id_num_uses must be a whole number, 0 for unlimited");
            if (!VaultBody.TryBool(root, "bind_secret_id", out var bind))
                return VaultErrors.BadRequest("bind_secret_id must be true or false");
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

            settings.TokenTtlMs = VaultAuthBody.Ms(ttl, settings.TokenTtlMs);
            settings.TokenMaxTtlMs = VaultAuthBody.Ms(maxTtl, settings.TokenMaxTtlMs);
            settings.SecretIdTtlMs = VaultAuthBody.Ms(secretTtl, settings.SecretIdTtlMs);
            settings.SecretIdNumUses = uses ?? settings.SecretIdNumUses;
            settings.BindSecretId = bind ?? settings.BindSecretId;
            if (settings.TokenMaxTtlMs > 0 && settings.TokenTtlMs > settings.TokenMaxTtlMs)
                return VaultErrors.BadRequest("token_ttl must not be greater than token_max_ttl");
            if (!settings.BindSecretId)
                return VaultErrors.BadRequest("bind_secret_id must be true: ConfigCluster has no secret_id_bound_cidrs, so a role id alone would log anyone in");
            return await login.PutAppRoleAsync(name, settings, token) is { } error ? VaultErrors.From(error) : VaultResponse.NoContent();
        }
    }

    private static IResult ReadRole(string name, IVersionedStore store)
    {
        if (store.FindAppRole(name) is not { } role)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(writer =>
        {
            writer.WriteBoolean("bind_secret_id", role.BindSecretId);
            VaultAuthBody.WriteList(writer, "token_policies", role.TokenPolicies);
            VaultAuthBody.WriteList(writer, "policies", role.TokenPolicies);
            writer.WriteNumber("token_ttl", role.TokenTtlMs / 1000);
            writer.WriteNumber("token_max_ttl", role.TokenMaxTtlMs / 1000);
            writer.WriteNumber("secret_id_ttl", role.SecretIdTtlMs / 1000);
            writer.WriteNumber("secret_id_num_uses", role.SecretIdNumUses);
            VaultAuthBody.WriteList(writer, "token_bound_cidrs", role.TokenBoundCidrs);
            writer.WriteNumber("token_period", role.TokenPeriodMs / 1000);
            writer.WriteString("token_type", "default");
        });
    }

    private static async Task<IResult> DeleteRoleAsync(string name, MachineLogin login, CancellationToken token)
    {
        // Vault answers 204 whether or not the role existed.
        var error = await login.DeleteAppRoleAsync(name, token);
        return error is null or { Code: ConfigErrorCode.NotFound } ? VaultResponse.NoContent() : VaultErrors.From(error);
    }

    private static IResult ListRoles(IVersionedStore store) => VaultAuthBody.Keys(store.AppRoleNames());

    private static IResult ReadRoleId(string name, IVersionedStore store)
        => store.FindAppRole(name) is { } role ? VaultResponse.DataObject(writer => writer.WriteString("role_id", role.RoleId)) : VaultErrors.NotFound();

    private static async Task<IResult> NewSecretIdAsync(string name, HttpRequest request, MachineLogin login, CancellationToken token)
    {
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        body!.Dispose();
        var issued = await login.NewSecretIdAsync(name, token);
        if (issued.Error is { } error)
            return error.Code == ConfigErrorCode.NotFound ? VaultErrors.BadRequest($"role \"{name}\" does not exist") : VaultErrors.From(error);
        var secret = issued.Value!;
        return VaultResponse.DataObject(writer =>
        {
            writer.WriteString("secret_id", secret.SecretId);
            writer.WriteString("secret_id_accessor", secret.Accessor);
            writer.WriteNumber("secret_id_ttl", secret.TtlSeconds);
            writer.WriteNumber("secret_id_num_uses", secret.NumUses);
        });
    }

    private static async Task<IResult> LoginAsync(HttpRequest request, MachineLogin login, CancellationToken token)
    {
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            if (!VaultAuthBody.TryString(root, "role_id", out var roleId) || !VaultAuthBody.TryString(root, "secret_id", out var secretId))
                return VaultErrors.BadRequest("role_id and secret_id must be strings");
            if (string.IsNullOrEmpty(roleId) || roleId.Length > 128)
                return VaultErrors.BadRequest("missing role_id");
            if (secretId is { Length: > 256 })
                return VaultErrors.BadRequest(FasterVersionedStore.InvalidAppRoleCredentials);
            var issued = await login.AppRoleLoginAsync(roleId, secretId, token);
            if (issued.Error is { } error)
                return VaultErrors.From(error);
            return VaultAuthBody.Login(issued.Value!);
        }
    }
}
