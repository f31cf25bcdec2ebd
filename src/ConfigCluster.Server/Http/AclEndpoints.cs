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
        routes.MapPost("/acl/tokens", CreateTokenAsync);
        routes.MapGet("/acl/tokens", static (ConfigService config) => Results.Ok(new
        {
            tokens = config.Store.Tokens().Select(static t => new { t.Accessor, t.Name, t.Policies, t.ExpiresAt, t.CreatedAt, t.Revoked }),
        }));
        routes.MapDelete("/acl/tokens/{accessor}", RevokeAsync);
        routes.MapPut("/acl/policies/{name}", PutPolicyAsync);
        routes.MapGet("/audit", AuditEndpoints.ReadAsync);
        routes.MapGet("/audit/verify", AuditEndpoints.VerifyAsync);
    }

    private static async Task<IResult> CreateTokenAsync(HttpRequest request, AclService acl, CancellationToken token)
    {
        using var body = await ReadAsync(request, token);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            return HttpErrors.BadRequest("body must be {\"name\": \"svc\", \"policies\": [\"p\"], \"ttl\": \"24h\"}");
        var policies = root.TryGetProperty("policies", out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Where(static e => e.ValueKind == JsonValueKind.String).Select(static e => e.GetString()!).ToList()
            : [];
        TimeSpan? ttl = null;
        if (root.TryGetProperty("ttl", out var ttlElement) && ttlElement.ValueKind == JsonValueKind.String)
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
            string Text(string property) => element.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "*";
            var rule = new PolicyRule { Path = Text("path"), Namespace = Text("namespace"), Environment = Text("environment"), Deny = element.TryGetProperty("deny", out var d) && d.ValueKind == JsonValueKind.True };
            if (element.TryGetProperty("capabilities", out var caps) && caps.ValueKind == JsonValueKind.Array)
                rule.Capabilities.AddRange(caps.EnumerateArray().Select(static c => c.GetString() ?? ""));
            rules.Add(rule);
        }

        return await acl.PutPolicyAsync(name, rules, token) is { } error ? HttpErrors.ToResult(error) : Results.Ok(new { name, rules = rules.Count });
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
