using ConfigCluster.Core.Keys;

namespace ConfigCluster.Server.Acl;

/// <summary>Which capability each HTTP route needs, and on which key.</summary>
public static class HttpAccessRules
{
    /// <summary>Routes that need no token.</summary>
    /// <param name="path">The request path.</param>
    /// <param name="metricsOpen">Whether <c>/metrics</c> is served without a token (<c>--metrics-open</c>); otherwise it needs <c>admin</c>.</param>
    public static bool IsOpen(PathString path, bool metricsOpen)
        => path.StartsWithSegments("/health") || path.Equals("/cluster/status") || path.StartsWithSegments("/configcluster.internal.v1.Peer")
           || (path.Equals("/metrics") && metricsOpen);

    public static AccessRequest Describe(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        var ns = Scope(request.Query["ns"]);
        var env = Scope(request.Query["env"]);
        var method = request.Method;
        long? version = long.TryParse(request.Query["version"], out var v) ? v : null;

        if (path.StartsWith("/config/history/", StringComparison.Ordinal))
            return new AccessRequest("history", Capability.History, ns, env, path["/config/history/".Length..]);
        if (path.StartsWith("/config/rollback/", StringComparison.Ordinal))
            return new AccessRequest("rollback", Capability.Rollback, ns, env, path["/config/rollback/".Length..], version);
        if (path.StartsWith("/config/", StringComparison.Ordinal))
        {
            var key = path["/config/".Length..];
            return method switch
            {
                "PUT" => new AccessRequest("write", Capability.Write, ns, env, key),
                "DELETE" => new AccessRequest("delete", Capability.Delete, ns, env, key),
                _ => new AccessRequest(request.Query.ContainsKey("wait") ? "watch" : "read", request.Query.ContainsKey("wait") ? Capability.Watch : Capability.Read, ns, env, key, version),
            };
        }

        if (path == "/config")
            return new AccessRequest("list", Capability.List, ns, env, null);
        if (path == "/ws/watch")
            return new AccessRequest("watch", Capability.Watch, ns, env, request.Query["key"].ToString() is { Length: > 0 } key ? key : null);
        if (path == "/diff")
            return new AccessRequest("diff", Capability.List, ns, Scope(request.Query["to"]), null);
        if (path.StartsWith("/environments/", StringComparison.Ordinal))
            return method == "GET" ? new AccessRequest("environment.read", Capability.List, ns, path["/environments/".Length..], null) : new AccessRequest("environment.write", Capability.Admin, ns, "*", null);
        if (path == "/changesets")
            return new AccessRequest("changeset", Capability.Write, ns, env, null);
        if (path == "/promote")
            return new AccessRequest("promote", Capability.Write, ns, Scope(request.Query["to"]), null);
        return new AccessRequest(method.ToLowerInvariant() + " " + path, Capability.Admin, ns, env, null);
    }

    private static string Scope(string? value) => string.IsNullOrEmpty(value) ? KeyPath.DefaultScope : value;
}
