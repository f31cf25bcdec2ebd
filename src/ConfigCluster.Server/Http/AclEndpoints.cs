using System.Text.Json;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Hosting;

namespace ConfigCluster.Server.Http;

/// <summary>Tokens, policies and the audit log (admin routes; see shared/CONTRACT.md).</summary>
internal static class AclEndpoints
{
    public static void MapAclEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/acl/tokens", CreateTokenAsync).RequireAdmin("token.create");
        routes.MapGet("/acl/tokens", static (ConfigService config) => Results.Ok(new
        {
            tokens = config.Store.Tokens().Select(static t => new { t.Accessor, t.Name, t.Policies, t.ExpiresAt, t.CreatedAt, t.Revoked }),
        })).RequireAdmin("token.list");
        routes.MapDelete("/acl/tokens/{accessor}", RevokeAsync).RequireAdmin("token.revoke");
        routes.MapPut("/acl/policies/{name}", PutPolicyAsync).RequireAdmin("policy.write");
        routes.MapGet("/acl/policies/{name}", static (string name, ConfigService config) => config.Store.FindPolicy(name) is { } policy
            ? Results.Ok(new { name, rules = policy.Rules.Select(static r => new { r.Path, r.Namespace, r.Environment, capabilities = r.Capabilities.ToList(), r.Deny }) })
            : Results.Json(new { error = $"no policy named '{name}'" }, statusCode: StatusCodes.Status404NotFound)).RequireAdmin("policy.read");
        routes.MapGet("/audit", AuditEndpoints.ReadAsync).RequireAdmin("audit.read");
        routes.MapGet("/audit/verify", AuditEndpoints.VerifyAsync).RequireAdmin("audit.verify");
    }

    private static async Task<IResult> CreateTokenAsync(HttpRequest request, AclService acl, CancellationToken token)
    {
        using var body = await ReadAsync(request, token);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            return HttpErrors.BadRequest("body must be {\"name\": \"svc\", \"policies\": [\"p\"], \"ttl\": \"24h\"}");
        List<string> policies = [];
        if (root.TryGetProperty("policies", out var p))
        {
            if (!TryStrings(p, out var names))
                return HttpErrors.BadRequest("\"policies\" must be an array of policy names");
            policies = names;
        }

        TimeSpan? ttl = null;
        if (root.TryGetProperty("ttl", out var ttlElement) && ttlElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            return HttpErrors.BadRequest("ttl must be a duration like 30m or 24h");
        if (ttlElement.ValueKind == JsonValueKind.String)
        {
            if (!DurationParser.TryParse(ttlElement.GetString(), out var parsed))
                return HttpErrors.BadRequest("ttl must be a duration like 30m or 24h");
            ttl = parsed;
        }

        var outcome = await acl.CreateTokenAsync(name.GetString()!, policies, ttl, token);
        if (outcome.Error is { } error)
            return HttpErrors.ToResult(error);
        var created = outcome.Value!;
        return Results.Ok(new { token = created.Token, accessor = created.Accessor, name = created.Name, expiresAt = created.ExpiresAt });
    }

    private static async Task<IResult> RevokeAsync(string accessor, AclService acl, CancellationToken token)
        => await acl.RevokeAsync(accessor, token) is { } error ? HttpErrors.ToResult(error) : Results.Ok(new { accessor, revoked = true });

    private static async Task<IResult> PutPolicyAsync(string name, HttpRequest request, AclService acl, CancellationToken token)
    {
        using var body = await ReadAsync(request, token);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("rules", out var rulesElement) || rulesElement.ValueKind != JsonValueKind.Array)
            return HttpErrors.BadRequest("body must be {\"rules\": [{\"path\": \"auth.*\", \"capabilities\": [\"read\"]}]}");
        var rules = new List<PolicyRule>();
        foreach (var element in rulesElement.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
                return HttpErrors.BadRequest("each rule must be an object");
            // A field of the wrong type is refused, never read as its default ("*" would widen the rule).
            if (!TryText(element, "path", out var path) || !TryText(element, "namespace", out var ns) || !TryText(element, "environment", out var env))
                return HttpErrors.BadRequest("a rule's path, namespace and environment must be strings (patterns like \"auth.*\")");
            if (element.TryGetProperty("deny", out var d) && d.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return HttpErrors.BadRequest("a rule's deny must be true or false");
            var rule = new PolicyRule { Path = path, Namespace = ns, Environment = env, Deny = d.ValueKind == JsonValueKind.True };
            if (element.TryGetProperty("capabilities", out var caps))
            {
                if (!TryStrings(caps, out var names))
                    return HttpErrors.BadRequest("a rule's capabilities must be an array of names like [\"read\", \"list\"]");
                rule.Capabilities.AddRange(names);
            }

            rules.Add(rule);
        }

        return await acl.PutPolicyAsync(name, rules, token) is { } error ? HttpErrors.ToResult(error) : Results.Ok(new { name, rules = rules.Count });
    }

    private static bool TryText(JsonElement element, string property, out string value)
    {
        value = "*";
        if (!element.TryGetProperty(property, out var v))
            return true;
        if (v.ValueKind != JsonValueKind.String)
            return false;
        value = v.GetString()!;
        return true;
    }

    private static bool TryStrings(JsonElement element, out List<string> values)
    {
        values = [];
        if (element.ValueKind != JsonValueKind.Array)
            return false;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                return false;
            values.Add(item.GetString()!);
        }

        return true;
    }

    private static async Task<JsonDocument?> ReadAsync(HttpRequest request, CancellationToken token)
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
