using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// Vault's lease routes: <c>PUT /v1/sys/leases/renew</c>, <c>revoke</c> and <c>lookup</c> (the
/// lease id in the body; renew and revoke also take it in the path, <c>revoke/&lt;lease_id&gt;</c>,
/// as Vault does, the body's winning when both are given) and <c>revoke-prefix/&lt;prefix&gt;</c>. Each needs <c>write</c> on its
/// own path in the policy system (<c>sys/leases/renew</c> and so on, namespace and environment
/// <c>default</c>), as Vault's policies grant <c>update</c> on them.
/// </summary>
internal static class LeaseEndpoints
{
    private const string Scope = KeyPath.DefaultScope;
    private static readonly string[] WriteMethods = ["PUT", "POST"];

    public static void MapLeaseEndpoints(this IEndpointRouteBuilder routes)
    {
        var leases = routes.MapGroup("/v1/sys/leases").WithAccessErrorShape(VaultErrors.Shape);
        AccessScope On(string path) => AccessScope.FixedKey(Scope, Scope, "sys/leases/" + path);
        leases.MapMethods("/renew", WriteMethods, RenewAsync).RequireAccess(Capability.Write, On("renew"), "vault.leases.renew");
        leases.MapMethods("/revoke", WriteMethods, RevokeAsync).RequireAccess(Capability.Write, On("revoke"), "vault.leases.revoke");
        // The lease id in the path (Vault's url_lease_id): the same handlers and policy paths.
        leases.MapMethods("/renew/{**leaseId}", WriteMethods, RenewInPathAsync).RequireAccess(Capability.Write, On("renew"), "vault.leases.renew-id");
        leases.MapMethods("/revoke/{**leaseId}", WriteMethods, RevokeInPathAsync).RequireAccess(Capability.Write, On("revoke"), "vault.leases.revoke-id");
        leases.MapMethods("/lookup", WriteMethods, LookupAsync).RequireAccess(Capability.Write, On("lookup"), "vault.leases.lookup");
        leases.MapMethods("/revoke-prefix/{**prefix}", WriteMethods, RevokePrefixAsync).RequireAccess(Capability.Write, On("revoke-prefix"), "vault.leases.revoke-prefix");
        leases.MapMethods("/lookup/{**prefix}", ["LIST", "GET"], ListAsync).RequireAccess(Capability.List, On("lookup"), "vault.leases.list");

        // Vault's older paths, still sent by some clients (node-vault's revokePrefix uses
        // /v1/sys/revoke-prefix/<prefix>); same handlers, and the same policy paths as the new ones.
        var legacy = routes.MapGroup("/v1/sys").WithAccessErrorShape(VaultErrors.Shape);
        legacy.MapMethods("/renew", WriteMethods, RenewAsync).RequireAccess(Capability.Write, On("renew"), "vault.sys.renew");
        legacy.MapMethods("/revoke", WriteMethods, RevokeAsync).RequireAccess(Capability.Write, On("revoke"), "vault.sys.revoke");
        legacy.MapMethods("/renew/{**leaseId}", WriteMethods, RenewInPathAsync).RequireAccess(Capability.Write, On("renew"), "vault.sys.renew-id");
        legacy.MapMethods("/revoke/{**leaseId}", WriteMethods, RevokeInPathAsync).RequireAccess(Capability.Write, On("revoke"), "vault.sys.revoke-id");
        legacy.MapMethods("/revoke-prefix/{**prefix}", WriteMethods, RevokePrefixAsync).RequireAccess(Capability.Write, On("revoke-prefix"), "vault.sys.revoke-prefix");
    }

    private static Task<IResult> RenewInPathAsync(string? leaseId, HttpRequest request, DatabaseEngine engine, CancellationToken token)
        => RenewLeaseAsync(request, engine, AccessScope.RoutePath(leaseId), token);

    private static Task<IResult> RevokeInPathAsync(string? leaseId, HttpRequest request, DatabaseEngine engine, CancellationToken token)
        => RevokeLeaseAsync(request, engine, AccessScope.RoutePath(leaseId), token);

    private static Task<IResult> RenewAsync(HttpRequest request, DatabaseEngine engine, CancellationToken token) => RenewLeaseAsync(request, engine, null, token);

    private static Task<IResult> RevokeAsync(HttpRequest request, DatabaseEngine engine, CancellationToken token) => RevokeLeaseAsync(request, engine, null, token);

    private static async Task<IResult> RenewLeaseAsync(HttpRequest request, DatabaseEngine engine, string? pathLeaseId, CancellationToken token)
    {
        var (leaseId, root, problem) = await LeaseIdAsync(request, pathLeaseId, token);
        if (problem is not null)
            return problem;
        if (!VaultBody.TryDuration(root, "increment", out var increment))
            return VaultErrors.BadRequest("increment must be a duration (seconds, or text like \"1h\")");
        var renewed = await engine.RenewAsync(leaseId!, increment ?? TimeSpan.Zero, token);
        if (renewed.Error is { } error)
            return LeaseError(error);
        var lease = renewed.Value!;
        return DatabaseEndpoints.LeaseAnswer(lease.LeaseId, lease.ExpiresAt - (lease.LastRenewedAt ?? lease.IssuedAt), data: null);
    }

    private static async Task<IResult> RevokeLeaseAsync(HttpRequest request, DatabaseEngine engine, string? pathLeaseId, CancellationToken token)
    {
        var (leaseId, _, problem) = await LeaseIdAsync(request, pathLeaseId, token);
        if (problem is not null)
            return problem;
        var error = await engine.RevokeAsync(leaseId!, RevokeReason.Explicit, token);
        LeaseMeters.CountRevocation(error is null);
        return error is null ? VaultResponse.NoContent() : DatabaseEndpoints.Error(error);
    }

    private static async Task<IResult> LookupAsync(HttpRequest request, DatabaseEngine engine, TimeProvider clock, CancellationToken token)
    {
        var (leaseId, _, problem) = await LeaseIdAsync(request, null, token);
        if (problem is not null)
            return problem;
        var found = await engine.LookupAsync(leaseId!, token);
        if (found.Error is { } error)
            return LeaseError(error);
        var lease = found.Value!;
        var ttl = lease.ExpiresAt - clock.GetUtcNow();
        return VaultResponse.DataObject(w =>
        {
            w.WriteString("id", lease.LeaseId);
            w.WriteString("issue_time", VaultResponse.Time(lease.IssuedAt));
            w.WriteString("expire_time", VaultResponse.Time(lease.ExpiresAt));
            if (lease.LastRenewedAt is { } renewed)
                w.WriteString("last_renewal", VaultResponse.Time(renewed));
            else
                w.WriteNull("last_renewal");
            w.WriteBoolean("renewable", !lease.Revoking);
            w.WriteNumber("ttl", Math.Max(0, (long)ttl.TotalSeconds));
        });
    }

    private static async Task<IResult> RevokePrefixAsync(string? prefix, DatabaseEngine engine, CancellationToken token)
    {
        prefix = AccessScope.RoutePath(prefix) ?? "";
        if (prefix.Trim('/').Length == 0)
            return VaultErrors.BadRequest("a prefix is required");
        var found = await engine.LeasesAsync(prefix, token);
        if (found.Error is { } error)
            return LeaseError(error);
        var failures = new List<string>();
        foreach (var lease in found.Value!)
        {
            var revokeError = await engine.RevokeAsync(lease.LeaseId, RevokeReason.Explicit, token);
            LeaseMeters.CountRevocation(revokeError is null);
            if (revokeError is not null)
                failures.Add($"{lease.LeaseId}: {revokeError.Message}");
        }

        return failures.Count == 0 ? VaultResponse.NoContent() : VaultErrors.Result(StatusCodes.Status500InternalServerError, [.. failures]);
    }

    // Vault's LIST sys/leases/lookup/<prefix>: one level below the prefix, lease id tails and "folder/" names.
    private static async Task<IResult> ListAsync(string? prefix, HttpRequest request, DatabaseEngine engine, CancellationToken token)
    {
        if (HttpMethods.IsGet(request.Method) && request.Query["list"] is not ["true" or "1"])
            return VaultErrors.Result(StatusCodes.Status405MethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n");
        prefix = AccessScope.RoutePath(prefix) ?? "";
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
            prefix += "/";
        var found = await engine.LeasesAsync(prefix, token);
        if (found.Error is { } error)
            return LeaseError(error);
        var keys = found.Value!.Select(l => l.LeaseId[prefix.Length..]).Select(static rest => rest.IndexOf('/') is var slash and >= 0 ? rest[..(slash + 1)] : rest)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return keys.Count == 0 ? VaultErrors.NotFound() : VaultResponse.DataObject(w => DatabaseEndpoints.WriteList(w, "keys", keys));
    }

    // Vault answers a lease it does not know with 400 "lease not found" / "invalid lease".
    private static IResult LeaseError(ConfigError error) => error.Code == ConfigErrorCode.NotFound
        ? VaultErrors.BadRequest(error.Message)
        : DatabaseEndpoints.Error(error);

    // The body's lease_id, else the one in the path (as Vault reads lease_id, then url_lease_id).
    private static async Task<(string? LeaseId, System.Text.Json.JsonElement Root, IResult? Problem)> LeaseIdAsync(HttpRequest request, string? pathLeaseId, CancellationToken token)
    {
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return (null, default, problem);
        var root = body!.RootElement.Clone();
        body.Dispose();
        if (!DatabaseRequest.TryString(root, "lease_id", out var leaseId))
            return (null, root, VaultErrors.BadRequest("lease_id must be a string"));
        if (string.IsNullOrEmpty(leaseId))
            leaseId = pathLeaseId;
        if (string.IsNullOrEmpty(leaseId))
            return (null, root, VaultErrors.BadRequest("lease_id is required"));
        if (leaseId.Length > FasterVersionedStore.MaxLeaseIdLength)
            return (null, root, VaultErrors.BadRequest("invalid lease"));
        return (leaseId, root, null);
    }
}
