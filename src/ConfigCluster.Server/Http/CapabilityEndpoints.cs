using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Http;

/// <summary>
/// <c>GET /acl/capabilities?ns=N&amp;env=E[&amp;key=K]</c>: what the calling token may do there (like
/// Vault's <c>sys/capabilities-self</c>), so a client such as the web console offers only what
/// will be allowed instead of probing with requests that fail. It answers about the caller's own
/// token only, needs <c>list</c> somewhere, and is audited like every route.
/// </summary>
internal static class CapabilityEndpoints
{
    private static readonly Capability[] All = [Capability.Read, Capability.List, Capability.Write, Capability.Delete, Capability.History, Capability.Rollback, Capability.Watch];

    public static void MapCapabilityEndpoints(this IEndpointRouteBuilder routes)
        => routes.MapGet("/acl/capabilities", Capabilities).RequireAccess(Capability.List, AccessScope.Anywhere, "capabilities.self");

    private static IResult Capabilities(HttpContext context, PolicyEvaluator policies)
    {
        var request = context.Request;
        var ns = Scopes.OrDefault(request.Query["ns"]);
        var env = Scopes.OrDefault(request.Query["env"]);
        var key = request.Query["key"].ToString();
        if (!KeyPath.TryValidateScope(ns, "namespace", out var error) || !KeyPath.TryValidateScope(env, "environment", out error)
            || (key.Length > 0 && !KeyPath.TryValidateKey(key, out error)))
            return HttpErrors.BadRequest(error);
        if (context.Items[AccessMiddleware.CallerItem] is not CallerIdentity caller)
            return HttpErrors.BadRequest("no caller identity"); // unreachable: the access middleware set it
        // With a key: exactly what a request on it would be granted. Without: what some key here may be granted.
        var granted = All.Where(c => key.Length > 0 ? policies.IsAllowed(caller, c, ns, env, key) : policies.MayHaveAny(caller, c, ns, env))
            .Select(Acl.Capabilities.Name).ToList();
        return Results.Ok(new
        {
            name = caller.Name,
            @namespace = ns,
            environment = env,
            key = key.Length > 0 ? key : null,
            capabilities = granted,
            admin = policies.MayHaveAny(caller, Capability.Admin, "*", "*"),
        });
    }
}
