namespace ConfigCluster.Server.Acl;

/// <summary>
/// The HTTP side of the gate: every route but the open ones needs a token with the right
/// capability (401 without or with an unknown token, 403 without the capability), and every
/// decision is audited before the request is served.
/// </summary>
public sealed class AccessMiddleware(RequestDelegate next, AccessGate gate)
{
    public const string CallerItem = "cc.caller";
    public const string BearerItem = "cc.bearer";

    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpAccessRules.IsOpen(context.Request.Path) || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            await next(context);
            return;
        }

        var bearer = TokenAuthenticator.FromAuthorizationHeader(context.Request.Headers.Authorization);
        var (decision, caller, message) = await gate.CheckAsync(bearer, HttpAccessRules.Describe(context.Request), context.RequestAborted);
        if (decision != AccessDecision.Allowed)
        {
            var status = decision switch
            {
                AccessDecision.Unauthenticated => StatusCodes.Status401Unauthorized,
                AccessDecision.Forbidden => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status503ServiceUnavailable, // AuditFailed: not served because it could not be audited
            };
            await Results.Json(new { error = message }, statusCode: status).ExecuteAsync(context);
            return;
        }

        context.Items[CallerItem] = caller;
        context.Items[BearerItem] = bearer;
        CallerIdentity.Current = caller;
        await next(context);
    }
}
