namespace ConfigCluster.Server.Acl;

/// <summary>Declares a route's access rule where the route is mapped.</summary>
public static class AccessEndpointExtensions
{
    /// <summary>The route needs <paramref name="capability"/> on <paramref name="scope"/>; audited as <paramref name="operation"/>.</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, Capability capability, AccessScope scope, string operation)
        where TBuilder : IEndpointConventionBuilder
    {
        var rule = new AccessRule(operation, capability, scope);
        builder.Add(endpoint => endpoint.Metadata.Add(rule));
        return builder;
    }

    /// <summary>
    /// The route needs <c>admin</c> for the whole cluster; audited under its method and pattern
    /// (e.g. <c>POST /acl/tokens</c>).
    /// </summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder, string operation)
        where TBuilder : IEndpointConventionBuilder
        => builder.RequireAccess(Capability.Admin, AccessScope.Cluster, operation);

    /// <summary>
    /// The route needs a working token and nothing more: it acts on the caller's own token
    /// (Vault's <c>lookup-self</c>, <c>renew-self</c>, <c>revoke-self</c>); audited as <paramref name="operation"/>.
    /// </summary>
    public static TBuilder RequireToken<TBuilder>(this TBuilder builder, string operation)
        where TBuilder : IEndpointConventionBuilder
    {
        var rule = new AccessRule(operation, Capability.None, AccessScope.Cluster) { TokenOnly = true };
        builder.Add(endpoint => endpoint.Metadata.Add(rule));
        return builder;
    }

    /// <summary>The route needs no token. Keep this list short: it is named in the route-matrix test.</summary>
    public static TBuilder AllowAnonymousAccess<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(static endpoint => endpoint.Metadata.Add(Acl.AllowAnonymousAccess.Instance));
        return builder;
    }

    /// <summary>Access failures on these routes are written in <paramref name="shape"/> (an API face's own error format).</summary>
    public static TBuilder WithAccessErrorShape<TBuilder>(this TBuilder builder, AccessErrorShape shape)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(shape);
        builder.Add(endpoint => endpoint.Metadata.Add(shape));
        return builder;
    }

    /// <summary>
    /// The route also takes its token from the query parameter <c>token</c> when no header carries
    /// one (Consul's <c>?token=</c>). Only for faces whose clients send it that way: a token in a
    /// URL ends up in proxies' logs.
    /// </summary>
    public static TBuilder AllowQueryToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(static endpoint => endpoint.Metadata.Add(QueryTokenAllowed.Instance));
        return builder;
    }
}

/// <summary>Marks a route whose token may come from <c>?token=</c> (see <see cref="AccessEndpointExtensions.AllowQueryToken{TBuilder}"/>).</summary>
public sealed class QueryTokenAllowed
{
    /// <summary>The one instance.</summary>
    public static readonly QueryTokenAllowed Instance = new();

    private QueryTokenAllowed()
    {
    }
}
