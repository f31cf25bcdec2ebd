using Grpc.AspNetCore.Server;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// The HTTP side of the gate. Runs after routing and reads the matched endpoint's declaration:
/// an <see cref="AccessRule"/> is checked (401 without or with an unknown token, 403 without the
/// capability) and audited before the route runs; <see cref="AllowAnonymousAccess"/> routes are
/// served as they are; a route with neither is refused. gRPC methods (endpoints carrying
/// <see cref="GrpcMethodMetadata"/>) are left to <see cref="GrpcAccessInterceptor"/>; whether a
/// request is gRPC is decided by the endpoint it matched, never by its headers.
/// </summary>
public sealed class AccessMiddleware(RequestDelegate next, AccessGate gate)
{
    /// <summary>Where the caller's identity is kept for the route (<see cref="HttpContext.Items"/>).</summary>
    public const string CallerItem = "cc.caller";

    /// <summary>Where the bearer token is kept for routes that re-check it (watches).</summary>
    public const string BearerItem = "cc.bearer";

    // A matched endpoint that declares nothing (including routing's own 405 endpoint) is refused.
    private static readonly AccessRule Undeclared = new("undeclared route", Capability.None, AccessScope.Cluster);

    // No endpoint matched: only an administrator learns that the route does not exist (404 with a message).
    private static readonly AccessRule Unrouted = new("unrouted", Capability.Admin, AccessScope.Cluster);

    /// <summary>Checks the request against its endpoint's rule, then runs the route.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        // Passed through without an async frame of ours: a watch stream would keep one for its life.
        var metadata = context.GetEndpoint()?.Metadata;
        return metadata?.GetMetadata<GrpcMethodMetadata>() is not null || metadata?.GetMetadata<AllowAnonymousAccess>() is not null
            ? next(context)
            : CheckThenRunAsync(context);
    }

    private async Task CheckThenRunAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata;
        var rule = endpoint is null ? Unrouted : metadata!.GetMetadata<AccessRule>() ?? Undeclared;
        var bearer = TokenAuthenticator.FromRequest(context.Request);
        if (bearer is null && metadata?.GetMetadata<QueryTokenAllowed>() is not null && context.Request.Query["token"] is [{ Length: > 0 } queryToken])
            bearer = queryToken.Trim();
        var (decision, caller, message) = await gate.CheckAsync(bearer, context.Connection.RemoteIpAddress, rule.Describe(context), context.RequestAborted);
        if (decision != AccessDecision.Allowed)
        {
            var status = decision switch
            {
                AccessDecision.Unauthenticated => StatusCodes.Status401Unauthorized,
                AccessDecision.Forbidden => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status503ServiceUnavailable, // AuditFailed (not served because it could not be audited) or NotCaughtUp
            };
            var shape = metadata?.GetMetadata<AccessErrorShape>() ?? AccessErrorShape.Default;
            await shape.WriteAsync(context, status, message);
            return;
        }

        if (endpoint is null)
        {
            await Results.Json(new { error = $"no route matches {context.Request.Method} {context.Request.Path}" }, statusCode: StatusCodes.Status404NotFound).ExecuteAsync(context);
            return;
        }

        context.Items[CallerItem] = caller;
        context.Items[BearerItem] = bearer;
        CallerIdentity.Current = caller;
        await next(context);
    }
}
