namespace ConfigCluster.Server.Acl;

/// <summary>
/// Endpoint metadata: the capability a route needs and where its namespace, environment and
/// key come from. Declared where the route is mapped (<see cref="AccessEndpointExtensions.RequireAccess{TBuilder}"/>);
/// the access middleware reads it from the matched endpoint, and a route without one is refused.
/// </summary>
public sealed class AccessRule
{
    /// <summary>Declares that <paramref name="capability"/> is needed on <paramref name="scope"/>.</summary>
    /// <param name="operation">The name audit records give the request (e.g. <c>read</c>, <c>POST /acl/tokens</c>).</param>
    /// <param name="capability">The capability the caller's policies must grant.</param>
    /// <param name="scope">Where the namespace, environment and key are read from.</param>
    public AccessRule(string operation, Capability capability, AccessScope scope)
    {
        ArgumentException.ThrowIfNullOrEmpty(operation);
        ArgumentNullException.ThrowIfNull(scope);
        Operation = operation;
        Capability = capability;
        Scope = scope;
    }

    /// <summary>The audited operation name.</summary>
    public string Operation { get; }

    /// <summary>The capability needed.</summary>
    public Capability Capability { get; }

    /// <summary>Where the target of the check comes from.</summary>
    public AccessScope Scope { get; }

    /// <summary>
    /// Any working token is enough (no capability is checked): for routes that act on the caller's
    /// own token only, such as Vault's <c>auth/token/lookup-self</c>.
    /// </summary>
    public bool TokenOnly { get; init; }

    /// <summary>The access request for this HTTP request (one small allocation, no parsing beyond the query).</summary>
    public AccessRequest Describe(HttpContext context) => Scope.Describe(Operation, Capability, context) with { TokenOnly = TokenOnly };
}

/// <summary>
/// Endpoint metadata marking a route that needs no token (health probes, the limited cluster
/// status, and <c>/metrics</c> when <c>CONFIGCLUSTER_METRICS_OPEN=true</c>). Open routes are not audited.
/// </summary>
public sealed class AllowAnonymousAccess
{
    /// <summary>The single instance (the marker carries no data).</summary>
    public static readonly AllowAnonymousAccess Instance = new();

    private AllowAnonymousAccess()
    {
    }
}
