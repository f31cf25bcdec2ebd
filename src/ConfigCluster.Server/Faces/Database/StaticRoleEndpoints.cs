using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Server.Http;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// Vault's static roles and credential rotation at <c>/v1/database/</c>: <c>static-roles/&lt;role&gt;</c>
/// (write, read, delete, list), <c>static-creds/&lt;role&gt;</c> (read: the current password),
/// <c>rotate-role/&lt;role&gt;</c> and <c>rotate-root/&lt;connection&gt;</c> (write: rotate now). Each
/// is its own path in the policy system (namespace and environment <c>default</c>), as in Vault.
/// </summary>
internal static class StaticRoleEndpoints
{
    private const string Scope = KeyPath.DefaultScope;
    private static readonly string[] WriteMethods = ["POST", "PUT"];

    public static void MapStaticRoleEndpoints(this IEndpointRouteBuilder routes)
    {
        var database = routes.MapGroup("/v1/database").WithAccessErrorShape(VaultErrors.Shape);
        AccessScope Path(string prefix) => AccessScope.FixedWithKeyPrefix(Scope, Scope, prefix, "name");

        database.MapMethods("/static-roles/{name}", WriteMethods, WriteAsync).RequireAccess(Capability.Write, Path("database/static-roles/"), "database.static-roles.write");
        database.MapGet("/static-roles/{name}", ReadAsync).RequireAccess(Capability.Read, Path("database/static-roles/"), "database.static-roles.read");
        database.MapDelete("/static-roles/{name}", DeleteAsync).RequireAccess(Capability.Delete, Path("database/static-roles/"), "database.static-roles.delete");
        database.MapMethods("/static-roles", ["LIST", "GET"], ListAsync).RequireAccess(Capability.List, AccessScope.Fixed(Scope, Scope, null), "database.static-roles.list");
        database.MapGet("/static-creds/{name}", CredentialsAsync).RequireAccess(Capability.Read, Path("database/static-creds/"), "database.static-creds.read");
        database.MapMethods("/rotate-role/{name}", WriteMethods, RotateRoleAsync).RequireAccess(Capability.Write, Path("database/rotate-role/"), "database.rotate-role");
        database.MapMethods("/rotate-root/{name}", WriteMethods, RotateRootAsync).RequireAccess(Capability.Write, Path("database/rotate-root/"), "database.rotate-root");
    }

    private static async Task<IResult> WriteAsync(string name, HttpRequest request, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid role name: use letters, digits, '_', '-' and '.'");
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            if (!DatabaseRequest.TryString(root, "db_name", out var dbName) || !DatabaseRequest.TryString(root, "username", out var username)
                || !DatabaseRequest.TryList(root, "rotation_statements", commaSeparated: false, out var statements))
                return VaultErrors.BadRequest("db_name and username must be strings, rotation_statements a string or a list of strings");
            if (!VaultBody.TryDuration(root, "rotation_period", out var period))
                return VaultErrors.BadRequest("rotation_period must be a duration (seconds, or text like \"24h\")");
            if (!FasterVersionedStore.IsValidDatabaseName(dbName))
                return VaultErrors.BadRequest("db_name is required (the name of a database connection)");
            if (username is null || !DatabaseEngine.IsQuotableIdentifier(username))
                return VaultErrors.BadRequest($"username is required: an existing database user, 1 to {CredentialTemplates.MaxUsernameLength} characters without '\"'");
            if (period is not { } p || p < FasterVersionedStore.MinStaticRotationPeriod)
                return VaultErrors.BadRequest($"rotation_period is required and must be at least {FasterVersionedStore.MinStaticRotationPeriod.TotalSeconds:0} s");
            if (engine.FindStaticRole(name) is { } existing && existing.Username != username)
                return VaultErrors.BadRequest("a static role's username cannot change; delete the role first");
            var role = new DatabaseStaticRoleOp { Name = name, DbName = dbName, Username = username, RotationPeriodMs = (long)p.TotalMilliseconds };
            role.RotationStatements.AddRange(statements);
            var error = await engine.WriteStaticRoleAsync(role, token);
            return error is null ? VaultResponse.NoContent() : DatabaseEndpoints.Error(error);
        }
    }

    private static async Task<IResult> ReadAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (await engine.CatchUpAsync(token) is { } error)
            return DatabaseEndpoints.Error(error);
        if (engine.FindStaticRole(name) is not { } role)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(w =>
        {
            w.WriteString("db_name", role.DbName);
            w.WriteString("username", role.Username);
            w.WriteNumber("rotation_period", (long)role.RotationPeriod.TotalSeconds);
            DatabaseEndpoints.WriteList(w, "rotation_statements", role.RotationStatements);
            if (role.LastRotatedAt is { } last)
                w.WriteString("last_vault_rotation", VaultResponse.Time(last));
            else
                w.WriteNull("last_vault_rotation");
            w.WriteString("credential_type", "password");
        });
    }

    private static async Task<IResult> DeleteAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid name");
        return await engine.DeleteStaticRoleAsync(name, token) switch
        {
            null or { Code: ConfigErrorCode.NotFound } => VaultResponse.NoContent(),
            { } error => DatabaseEndpoints.Error(error),
        };
    }

    private static Task<IResult> ListAsync(HttpRequest request, DatabaseEngine engine, ItemAccess access, CancellationToken token)
        => DatabaseEndpoints.ListAsync(request, engine, engine.StaticRoleNames, "database/static-roles/", access, token);

    private static async Task<IResult> CredentialsAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid role name");
        var found = await engine.StaticCredentialAsync(name, token);
        if (found.Error is { } error)
            return DatabaseEndpoints.Error(error);
        var credential = found.Value!;
        return VaultResponse.DataObject(w =>
        {
            w.WriteString("username", credential.Username);
            w.WriteString("password", credential.Password);
            w.WriteString("last_vault_rotation", VaultResponse.Time(credential.LastRotated));
            w.WriteNumber("rotation_period", (long)credential.RotationPeriod.TotalSeconds);
            w.WriteNumber("ttl", (long)Math.Ceiling(credential.Ttl.TotalSeconds));
        });
    }

    private static async Task<IResult> RotateRoleAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid role name");
        var error = await engine.RotateStaticRoleAsync(name, null, token);
        Rotation.RotationMeters.CountRotation(error is null);
        return error is null ? VaultResponse.NoContent() : DatabaseEndpoints.Error(error);
    }

    private static async Task<IResult> RotateRootAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid connection name");
        var error = await engine.RotateRootAsync(name, token);
        Rotation.RotationMeters.CountRotation(error is null);
        return error is null ? VaultResponse.NoContent() : DatabaseEndpoints.Error(error);
    }
}
