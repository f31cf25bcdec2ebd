using System.Text.Json;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Http;

/// <summary>The key routes of the HTTP/JSON API (shared/CONTRACT.md).</summary>
internal static class ConfigEndpoints
{
    public static void MapConfigEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/config", ListAsync).RequireAccess(Capability.List, AccessScope.Environment, "list");
        routes.MapGet("/config/history/{**key}", HistoryAsync).RequireAccess(Capability.History, AccessScope.FromRoute("key"), "history");
        routes.MapPost("/config/rollback/{**key}", RollbackAsync).RequireAccess(Capability.Rollback, AccessScope.FromRoute("key"), "rollback");
        // A long-poll (?wait=) answers with the key's value, so it needs read like a plain GET.
        routes.MapGet("/config/{**key}", GetAsync).RequireAccess(Capability.Read, AccessScope.FromRoute("key"), "read");
        routes.MapPut("/config/{**key}", PutAsync).RequireAccess(Capability.Write, AccessScope.FromRoute("key"), "write");
        routes.MapDelete("/config/{**key}", DeleteAsync).RequireAccess(Capability.Delete, AccessScope.FromRoute("key"), "delete");
    }

    private static async Task<IResult> GetAsync(string key, HttpRequest request, HttpResponse response, ConfigService config, ChangeFeed feed, Limits.StreamLimits limits, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem)
            || !RequestParameters.TryGetConsistency(request, out var consistency, out problem)
            || !RequestParameters.TryGetLong(request, "version", 1, out var version, out problem))
            return problem;

        if (request.Query.ContainsKey("wait"))
        {
            if (version is not null)
                return HttpErrors.BadRequest("wait cannot be combined with version");
            using (var place = limits.TryEnter(Limits.LimitKind.LongPolls, request.HttpContext.Items[AccessMiddleware.CallerItem] as CallerIdentity))
            {
                if (place is null)
                {
                    await Limits.LimitRejection.WriteAsync(request.HttpContext, Limits.LimitScope.Token, Limits.LimitKind.LongPolls, Limits.StreamLimits.RetryAfter);
                    return Results.Empty;
                }

                if (await LongPoll.WaitAsync(request, path, config, feed, consistency, token) is { } waitProblem)
                    return waitProblem;
            }
            consistency = ReadConsistency.Serializable; // the wait already brought this node up to date
        }

        var outcome = await config.GetAsync(path, version ?? 0, consistency, token);
        response.Headers[LongPoll.IndexHeader] = await LongPoll.KeyIndexAsync(config, path, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var found = outcome.Value!;
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            WriteVersionFields(writer, found, revealValue: true, includeKey: true);
            writer.WriteString("environment", path.Environment);
            writer.WriteString("source", found.Path.Environment);
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> PutAsync(string key, HttpRequest request, ConfigService config, NodeSettings settings, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem))
            return problem;

        var body = await PutBody.ReadAsync(request, settings.MaxValueBytes, token);
        if (body.Error is { } error)
            return HttpErrors.ToResult(error);
        var put = body.Value!;
        var outcome = await config.PutAsync(path, put.ValueJson, put.Secret, put.ExpectedVersion, request.Headers["X-Request-Id"], token);
        return WriteAnswer(outcome);
    }

    private static async Task<IResult> DeleteAsync(string key, HttpRequest request, ConfigService config, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem)
            || !RequestParameters.TryGetLong(request, "expectedVersion", 0, out var expected, out problem))
            return problem;
        var mask = string.Equals(request.Query["mask"], "true", StringComparison.OrdinalIgnoreCase);
        return WriteAnswer(await config.DeleteAsync(path, expected, request.Headers["X-Request-Id"], token, mask));
    }

    private static async Task<IResult> RollbackAsync(string key, HttpRequest request, ConfigService config, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem)
            || !RequestParameters.TryGetLong(request, "version", 1, out var version, out problem))
            return problem;
        if (version is null)
            return HttpErrors.BadRequest("version is required: POST /config/rollback/{key}?version=N");
        return WriteAnswer(await config.RollbackAsync(path, version.Value, request.Headers["X-Request-Id"], token));
    }

    private static async Task<IResult> HistoryAsync(string key, HttpRequest request, ConfigService config, CancellationToken token)
    {
        if (!RequestParameters.TryGetPath(request, key, out var path, out var problem)
            || !RequestParameters.TryGetConsistency(request, out var consistency, out problem))
            return problem;
        var outcome = await config.HistoryAsync(path, consistency, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("key", path.Key);
            writer.WriteString("namespace", path.Namespace);
            writer.WriteString("environment", path.Environment);
            writer.WriteStartArray("versions");
            foreach (var version in outcome.Value!)
            {
                writer.WriteStartObject();
                WriteVersionFields(writer, version, revealValue: false, includeKey: false);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ConfigService config, EnvironmentService environments, CancellationToken token)
    {
        if (!RequestParameters.TryGetConsistency(request, out var consistency, out var problem)
            || !RequestParameters.TryGetLong(request, "limit", 1, out var limit, out problem))
            return problem;
        if (string.Equals(request.Query["effective"], "true", StringComparison.OrdinalIgnoreCase))
            return await EffectiveListAsync(request, config, environments, consistency, token);
        var includeDeleted = string.Equals(request.Query["includeDeleted"], "true", StringComparison.OrdinalIgnoreCase);
        var outcome = await config.ListAsync(request.Query["ns"], request.Query["env"], request.Query["prefix"], request.Query["pageToken"],
            (int)Math.Min(limit ?? 0, int.MaxValue), includeDeleted, consistency, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        return ListAnswer(outcome.Value!.Items, source: false, outcome.Value.NextAfter, config.Store.Revision);
    }

    // The environment's view with inheritance applied; each item names its source environment.
    private static async Task<IResult> EffectiveListAsync(HttpRequest request, ConfigService config, EnvironmentService environments, ReadConsistency consistency, CancellationToken token)
    {
        var check = await config.ListAsync(request.Query["ns"], request.Query["env"], request.Query["prefix"], null, 1, false, consistency, token);
        if (check.Error is { } error)
            return HttpErrors.ToResult(error);
        var view = await environments.EffectiveViewAsync(Scopes.OrDefault(request.Query["ns"]), Scopes.OrDefault(request.Query["env"]), request.Query["prefix"].ToString(), token);
        return ListAnswer(view.Values, source: true, nextPageToken: null, config.Store.Revision);
    }

    // {"items": [...], "nextPageToken": "...", "revision": R}; each item names its source environment when source is set.
    private static JsonResult ListAnswer(IEnumerable<StoredVersion> items, bool source, string? nextPageToken, long revision)
        => new(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("items");
            foreach (var item in items)
                WriteListItem(writer, item, source);

            writer.WriteEndArray();
            if (nextPageToken is not null)
                writer.WriteString("nextPageToken", nextPageToken);
            writer.WriteNumber("revision", revision);
            writer.WriteEndObject();
        });

    // One item of a listing: metadata and, for plain keys, the value; secrets show their fingerprint.
    private static void WriteListItem(Utf8JsonWriter writer, StoredVersion item, bool source)
    {
        writer.WriteStartObject();
        writer.WriteString("key", item.Path.Key);
        WriteValue(writer, item, revealValue: false);
        writer.WriteNumber("version", item.Version);
        writer.WriteNumber("revision", item.Revision);
        writer.WriteBoolean("secret", item.Secret);
        if (!item.Fingerprint.IsEmpty)
            writer.WriteString("fingerprint", Convert.ToHexStringLower(item.Fingerprint.Span));
        if (item.ValueKind == Core.Commands.ValueKind.Bytes)
            writer.WriteString("valueType", "bytes");
        if (source)
            writer.WriteString("source", item.Path.Environment);
        writer.WriteEndObject();
    }

    private static IResult WriteAnswer(Outcome<WriteResult> outcome)
    {
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var result = outcome.Value!;
        return new JsonResult(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("key", result.Path.Key);
            writer.WriteNumber("version", result.Version);
            writer.WriteNumber("revision", result.Revision);
            writer.WriteEndObject();
        });
    }

    private static void WriteVersionFields(Utf8JsonWriter writer, StoredVersion version, bool revealValue, bool includeKey)
    {
        if (includeKey)
        {
            writer.WriteString("key", version.Path.Key);
            writer.WriteString("namespace", version.Path.Namespace);
        }

        WriteValue(writer, version, revealValue);
        writer.WriteNumber("version", version.Version);
        writer.WriteNumber("revision", version.Revision);
        writer.WriteString("operation", OperationName(version.Operation));
        if (version.RolledBackFrom > 0)
            writer.WriteNumber("rolledBackFrom", version.RolledBackFrom);
        writer.WriteBoolean("secret", version.Secret);
        if (!version.Fingerprint.IsEmpty)
            writer.WriteString("fingerprint", Convert.ToHexStringLower(version.Fingerprint.Span));
        // A raw byte value (written through the Consul face) is shown as a string or {"base64": ...}.
        if (version.ValueKind == Core.Commands.ValueKind.Bytes)
            writer.WriteString("valueType", "bytes");
        if (version.Flags != 0)
            writer.WriteNumber("flags", version.Flags);
        writer.WriteString("author", version.Author);
        writer.WriteString("updatedAt", version.Timestamp.UtcDateTime);
    }

    /// <summary>The JSON name of a version's operation.</summary>
    internal static string OperationName(VersionKind kind) => kind switch
    {
        VersionKind.Delete => "delete",
        VersionKind.Rollback => "rollback",
        VersionKind.Mask => "mask",
        _ => "put",
    };

    // A secret's value appears only in an explicit GET of the key; a deletion has no value.
    private static void WriteValue(Utf8JsonWriter writer, StoredVersion version, bool revealValue)
    {
        writer.WritePropertyName("value");
        if (version.IsDeletion || (version.Secret && !revealValue))
            writer.WriteNullValue();
        else
            writer.WriteRawValue(version.ValueAsJson(), skipInputValidation: true);
    }
}
