using System.Text.Json;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>
/// Environments and their inheritance (<c>PUT/GET /environments/{env}</c>), effective diffs
/// (<c>GET /diff</c>), atomic change-sets (<c>POST /changesets</c>) and promotion (<c>POST /promote</c>).
/// </summary>
internal static class EnvironmentEndpoints
{
    public static void MapEnvironmentEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPut("/environments/{env}", SetAsync).RequireAccess(Capability.Admin, AccessScope.Environment.AnyEnvironment(), "environment.write");
        routes.MapGet("/environments/{env}", Get).RequireAccess(Capability.List, AccessScope.Environment.EnvironmentFromRoute("env"), "environment.read");
        // Multi-key routes: the scope-level capability here; the application layer checks each item.
        routes.MapGet("/diff", DiffAsync).RequireAccess(Capability.List, AccessScope.Environment.EnvironmentFromQuery("to"), "diff");
        routes.MapPost("/changesets", ChangeSetAsync).RequireAccess(Capability.Write, AccessScope.Anywhere, "changeset");
        routes.MapPost("/promote", PromoteAsync).RequireAccess(Capability.Write, AccessScope.Environment.EnvironmentFromQuery("to"), "promote");
    }

    private static async Task<IResult> SetAsync(string env, HttpRequest request, EnvironmentService environments, CancellationToken token)
    {
        using var body = await ReadJsonAsync(request, token);
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
            return HttpErrors.BadRequest("body must be a JSON object like {\"inherits\": \"default\"}");
        string? inherits = null;
        if (body.RootElement.TryGetProperty("inherits", out var inheritsElement))
        {
            if (inheritsElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                return HttpErrors.BadRequest("\"inherits\" must be an environment name or null");
            inherits = inheritsElement.GetString();
        }

        var outcome = await environments.SetInheritsAsync(request.Query["ns"], env, inherits, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        return Results.Ok(new { environment = env, inherits = inherits ?? "", chain = outcome.Value });
    }

    private static IResult Get(string env, HttpRequest request, ConfigService config)
    {
        var ns = Scopes.OrDefault(request.Query["ns"]);
        if (!KeyPath.TryValidateScope(ns, "namespace", out var error) || !KeyPath.TryValidateScope(env, "environment", out error))
            return HttpErrors.BadRequest(error);
        return Results.Ok(new { environment = env, inherits = config.Store.ParentOf(ns, env) ?? "", chain = config.Store.InheritanceChain(ns, env) });
    }

    private static async Task<IResult> DiffAsync(HttpRequest request, EnvironmentService environments, ConfigService config, CancellationToken token)
    {
        if (!TryScopes(request, out var ns, out var from, out var to, out var prefix, out var problem))
            return problem;
        if (await config.CatchUpAsync(token) is { } barrierError)
            return HttpErrors.ToResult(barrierError);
        var outcome = await environments.DiffAsync(ns, from, to, prefix, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var diff = outcome.Value!;
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("from", from);
            writer.WriteString("to", to);
            writer.WriteStartArray("added");
            foreach (var item in diff.Added)
                WriteEntry(writer, item);
            writer.WriteEndArray();
            writer.WriteStartArray("removed");
            foreach (var item in diff.Removed)
                WriteEntry(writer, item);
            writer.WriteEndArray();
            writer.WriteStartArray("changed");
            foreach (var (fromVersion, toVersion) in diff.Changed)
            {
                writer.WriteStartObject();
                writer.WriteString("key", fromVersion.Path.Key);
                writer.WritePropertyName("from");
                WriteEntry(writer, fromVersion);
                writer.WritePropertyName("to");
                WriteEntry(writer, toVersion);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> ChangeSetAsync(HttpRequest request, EnvironmentService environments, CancellationToken token)
    {
        using var body = await ReadJsonAsync(request, token);
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object || !body.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            return HttpErrors.BadRequest("body must be {\"message\": \"...\", \"items\": [{\"op\": \"put\", \"key\": \"...\", \"value\": ...}, ...]}");
        var entries = new List<ChangeSetEntry>();
        foreach (var item in items.EnumerateArray())
        {
            if (!ChangeSetItemParser.TryParse(item, request.Query["ns"], request.Query["env"], out var entry, out var error))
                return HttpErrors.BadRequest(error);
            entries.Add(entry);
        }

        var message = body.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var outcome = await environments.ApplyChangeSetAsync(entries, message, request.Headers["X-Request-Id"], token);
        if (outcome.Error is { } applyError)
            return HttpErrors.ToResult(applyError);
        return Results.Ok(new { revision = outcome.Value!.Revision, items = entries.Zip(outcome.Value.Versions, static (e, v) => new { key = e.Path.Key, environment = e.Path.Environment, version = v }) });
    }

    private static async Task<IResult> PromoteAsync(HttpRequest request, EnvironmentService environments, ConfigService config, CancellationToken token)
    {
        if (!TryScopes(request, out var ns, out var from, out var to, out var prefix, out var problem))
            return problem;
        var keys = request.Query["keys"].ToString() is { Length: > 0 } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) : null;
        if (await config.CatchUpAsync(token) is { } barrierError)
            return HttpErrors.ToResult(barrierError);
        var outcome = await environments.PromoteAsync(ns, from, to, prefix, keys, request.Query["message"], token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var (result, promoted) = outcome.Value;
        return Results.Ok(new { promoted, revision = result?.Revision });
    }

    private static bool TryScopes(HttpRequest request, out string ns, out string from, out string to, out string prefix, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out IResult? problem)
    {
        ns = Scopes.OrDefault(request.Query["ns"]);
        from = request.Query["from"].ToString();
        to = request.Query["to"].ToString();
        prefix = request.Query["prefix"].ToString();
        problem = null;
        if (from.Length == 0 || to.Length == 0)
            problem = HttpErrors.BadRequest("from and to environments are required");
        else if (!KeyPath.TryValidateScope(ns, "namespace", out var error) || !KeyPath.TryValidateScope(from, "from", out error)
                 || !KeyPath.TryValidateScope(to, "to", out error) || !KeyPath.TryValidatePrefix(prefix, out error))
            problem = HttpErrors.BadRequest(error);
        return problem is null;
    }

    // A diff entry: the value for plain keys, only the fingerprint for secrets.
    private static void WriteEntry(Utf8JsonWriter writer, StoredVersion version)
    {
        writer.WriteStartObject();
        writer.WriteString("key", version.Path.Key);
        writer.WriteString("source", version.Path.Environment);
        writer.WriteNumber("version", version.Version);
        writer.WriteBoolean("secret", version.Secret);
        if (version.Secret)
            writer.WriteString("fingerprint", Convert.ToHexStringLower(version.Fingerprint.Span));
        else
        {
            writer.WritePropertyName("value");
            writer.WriteRawValue(version.ValueAsJson(), skipInputValidation: true);
        }

        writer.WriteEndObject();
    }

    private static async Task<JsonDocument?> ReadJsonAsync(HttpRequest request, CancellationToken token)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, cancellationToken: token);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
