using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Server.Http;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// Vault's database secrets engine at <c>/v1/database/</c> (PostgreSQL). In the policy system a
/// connection is <c>database/config/&lt;name&gt;</c>, a role <c>database/roles/&lt;name&gt;</c> and its
/// credentials <c>database/creds/&lt;name&gt;</c> (namespace and environment <c>default</c>):
/// <c>write</c> creates or replaces, <c>read</c> reads (and issues credentials), <c>delete</c>
/// deletes, <c>list</c> lists. A connection's admin password is never answered.
/// </summary>
internal static class DatabaseEndpoints
{
    private const string Scope = KeyPath.DefaultScope;
    private static readonly string[] WriteMethods = ["POST", "PUT"];

    public static void MapDatabaseEndpoints(this IEndpointRouteBuilder routes)
    {
        var database = routes.MapGroup("/v1/database").WithAccessErrorShape(VaultErrors.Shape);
        AccessScope Path(string prefix) => AccessScope.FixedWithKeyPrefix(Scope, Scope, prefix, "name");
        var listScope = AccessScope.Fixed(Scope, Scope, null);

        database.MapMethods("/config/{name}", WriteMethods, WriteConfigAsync).RequireAccess(Capability.Write, Path("database/config/"), "database.config.write");
        database.MapGet("/config/{name}", ReadConfigAsync).RequireAccess(Capability.Read, Path("database/config/"), "database.config.read");
        database.MapDelete("/config/{name}", DeleteConfigAsync).RequireAccess(Capability.Delete, Path("database/config/"), "database.config.delete");
        database.MapMethods("/config", ["LIST", "GET"], ListConfigsAsync).RequireAccess(Capability.List, listScope, "database.config.list");
        database.MapMethods("/roles/{name}", WriteMethods, WriteRoleAsync).RequireAccess(Capability.Write, Path("database/roles/"), "database.roles.write");
        database.MapGet("/roles/{name}", ReadRoleAsync).RequireAccess(Capability.Read, Path("database/roles/"), "database.roles.read");
        database.MapDelete("/roles/{name}", DeleteRoleAsync).RequireAccess(Capability.Delete, Path("database/roles/"), "database.roles.delete");
        database.MapMethods("/roles", ["LIST", "GET"], ListRolesAsync).RequireAccess(Capability.List, listScope, "database.roles.list");
        database.MapGet("/creds/{name}", IssueAsync).RequireAccess(Capability.Read, Path("database/creds/"), "database.creds.issue");
    }

    private static async Task<IResult> WriteConfigAsync(string name, HttpRequest request, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid connection name: use letters, digits, '_', '-' and '.'");
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            if (!DatabaseRequest.TryString(root, "plugin_name", out var plugin) || !DatabaseRequest.TryString(root, "connection_url", out var url)
                || !DatabaseRequest.TryString(root, "username", out var username) || !DatabaseRequest.TryString(root, "password", out var password)
                || !DatabaseRequest.TryList(root, "allowed_roles", commaSeparated: true, out var allowed) || !VaultBody.TryBool(root, "verify_connection", out var verify))
                return VaultErrors.BadRequest("plugin_name, connection_url, username and password must be strings, allowed_roles a list, verify_connection a boolean");
            if (plugin != FasterVersionedStore.PostgresPlugin)
                return VaultErrors.BadRequest($"plugin_name must be \"{FasterVersionedStore.PostgresPlugin}\" (the only plugin this server runs)");
            if (string.IsNullOrWhiteSpace(url))
                return VaultErrors.BadRequest("connection_url is required");
            if (allowed.Any(static r => r != "*" && !FasterVersionedStore.IsValidDatabaseName(r)))
                return VaultErrors.BadRequest("allowed_roles holds an invalid role name");
            var error = await engine.WriteConfigAsync(new DatabaseConfigRequest(name, plugin, url, username ?? "", password, allowed, verify ?? true), token);
            return error is null ? VaultResponse.NoContent() : Error(error);
        }
    }

    private static async Task<IResult> ReadConfigAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (await engine.CatchUpAsync(token) is { } error)
            return Error(error);
        if (engine.FindConfig(name) is not { } config)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(w =>
        {
            w.WriteString("plugin_name", config.PluginName);
            w.WriteString("plugin_version", "");
            w.WriteStartObject("connection_details");
            w.WriteString("connection_url", config.ConnectionUrl);
            w.WriteString("username", config.Username);
            w.WriteEndObject();
            WriteList(w, "allowed_roles", config.AllowedRoles);
            WriteList(w, "root_credentials_rotate_statements", []);
            w.WriteString("password_policy", "");
            w.WriteBoolean("verify_connection", true);
        });
    }

    private static Task<IResult> DeleteConfigAsync(string name, DatabaseEngine engine, CancellationToken token)
        => DeleteAsync(DatabaseObjectKind.Config, name, engine, token);

    private static Task<IResult> ListConfigsAsync(HttpRequest request, DatabaseEngine engine, ItemAccess access, CancellationToken token)
        => ListAsync(request, engine, engine.ConfigNames, "database/config/", access, token);

    private static async Task<IResult> WriteRoleAsync(string name, HttpRequest request, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid role name: use letters, digits, '_', '-' and '.'");
        var (body, problem) = await VaultBody.ReadAsync(request, token);
        if (problem is not null)
            return problem;
        using (body)
        {
            var root = body!.RootElement;
            if (!DatabaseRequest.TryString(root, "db_name", out var dbName) || !DatabaseRequest.TryList(root, "creation_statements", commaSeparated: false, out var creation)
                || !DatabaseRequest.TryList(root, "revocation_statements", commaSeparated: false, out var revocation))
                return VaultErrors.BadRequest("db_name must be a string, creation_statements and revocation_statements a string or a list of strings");
            if (!VaultBody.TryDuration(root, "default_ttl", out var defaultTtl) || !VaultBody.TryDuration(root, "max_ttl", out var maxTtl))
                return VaultErrors.BadRequest("default_ttl and max_ttl must be durations (seconds, or text like \"1h\")");
            if (!FasterVersionedStore.IsValidDatabaseName(dbName))
                return VaultErrors.BadRequest("db_name is required (the name of a database connection)");
            if (creation.Count == 0)
                return VaultErrors.BadRequest("creation_statements are required");
            var role = new DatabaseRoleOp
            {
                Name = name,
                DbName = dbName,
                DefaultTtlMs = (long)(defaultTtl ?? TimeSpan.Zero).TotalMilliseconds,
                MaxTtlMs = (long)(maxTtl ?? TimeSpan.Zero).TotalMilliseconds,
            };
            role.CreationStatements.AddRange(creation);
            role.RevocationStatements.AddRange(revocation);
            var error = await engine.WriteRoleAsync(role, token);
            return error is null ? VaultResponse.NoContent() : Error(error);
        }
    }

    private static async Task<IResult> ReadRoleAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (await engine.CatchUpAsync(token) is { } error)
            return Error(error);
        if (engine.FindRole(name) is not { } role)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(w =>
        {
            w.WriteString("db_name", role.DbName);
            WriteList(w, "creation_statements", role.CreationStatements);
            WriteList(w, "revocation_statements", role.RevocationStatements);
            WriteList(w, "rollback_statements", []);
            WriteList(w, "renew_statements", []);
            w.WriteNumber("default_ttl", (long)role.DefaultTtl.TotalSeconds);
            w.WriteNumber("max_ttl", (long)role.MaxTtl.TotalSeconds);
            w.WriteString("credential_type", "password");
        });
    }

    private static Task<IResult> DeleteRoleAsync(string name, DatabaseEngine engine, CancellationToken token)
        => DeleteAsync(DatabaseObjectKind.Role, name, engine, token);

    private static Task<IResult> ListRolesAsync(HttpRequest request, DatabaseEngine engine, ItemAccess access, CancellationToken token)
        => ListAsync(request, engine, engine.RoleNames, "database/roles/", access, token);

    private static async Task<IResult> IssueAsync(string name, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid role name");
        var issued = await engine.IssueAsync(name, CallerIdentity.Current?.Name ?? "token", token);
        if (issued.Error is { } error)
            return Error(error);
        var credential = issued.Value!;
        return LeaseAnswer(credential.LeaseId, credential.LeaseDuration, w =>
        {
            w.WriteStartObject();
            w.WriteString("username", credential.Username);
            w.WriteString("password", credential.Password);
            w.WriteEndObject();
        });
    }

    /// <summary>Vault's envelope for a leased secret: <c>lease_id</c>, <c>lease_duration</c> (seconds), <c>renewable</c>, <c>data</c>.</summary>
    internal static IResult LeaseAnswer(string leaseId, TimeSpan duration, Action<Utf8JsonWriter>? data) => new JsonResult(StatusCodes.Status200OK, w =>
    {
        w.WriteStartObject();
        w.WriteString("request_id", Guid.NewGuid().ToString());
        w.WriteString("lease_id", leaseId);
        w.WriteBoolean("renewable", true);
        w.WriteNumber("lease_duration", (long)Math.Round(Math.Max(0, duration.TotalSeconds)));
        w.WritePropertyName("data");
        if (data is null)
            w.WriteNullValue();
        else
            data(w);
        w.WriteNull("wrap_info");
        w.WriteNull("warnings");
        w.WriteNull("auth");
        w.WriteEndObject();
    });

    /// <summary>The engine's errors in Vault's shape; a database's refusal is a 500 whose message names it (never a password).</summary>
    internal static IResult Error(ConfigError error) => error.Code == ConfigErrorCode.Internal
        ? VaultErrors.Result(StatusCodes.Status500InternalServerError, error.Message)
        : VaultErrors.From(error);

    private static async Task<IResult> DeleteAsync(DatabaseObjectKind kind, string name, DatabaseEngine engine, CancellationToken token)
    {
        if (!FasterVersionedStore.IsValidDatabaseName(name))
            return VaultErrors.BadRequest("invalid name");
        // Vault answers a delete of something absent with 204 too.
        return await engine.DeleteAsync(kind, name, token) switch
        {
            null or { Code: ConfigErrorCode.NotFound } => VaultResponse.NoContent(),
            { } error => Error(error),
        };
    }

    internal static async Task<IResult> ListAsync(HttpRequest request, DatabaseEngine engine, Func<IReadOnlyList<string>> names, string prefix, ItemAccess access, CancellationToken token)
    {
        if (HttpMethods.IsGet(request.Method) && request.Query["list"] is not ["true" or "1"])
            return VaultErrors.Result(StatusCodes.Status405MethodNotAllowed, "1 error occurred:\n\t* unsupported operation\n\n");
        if (await engine.CatchUpAsync(token) is { } error)
            return Error(error);
        var visible = names().Where(name => access.Allows(Capability.List, Scope, Scope, prefix + name)).ToList();
        if (visible.Count == 0)
            return VaultErrors.NotFound();
        return VaultResponse.DataObject(w => WriteList(w, "keys", visible));
    }

    internal static void WriteList(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
