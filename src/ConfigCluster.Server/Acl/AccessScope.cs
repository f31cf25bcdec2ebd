using ConfigCluster.Core.Keys;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Where a route's namespace, environment and key are found: the <c>ns</c> and <c>env</c> query
/// parameters by default (both default to <c>default</c>), a route value or another query
/// parameter when declared, or the whole cluster (<c>*</c>) for administration.
/// </summary>
public sealed class AccessScope
{
    private enum From
    {
        None,
        Query,
        Route,
        Fixed,

        /// <summary>A catch-all route value whose encoded slashes (<c>%2F</c>) are read as <c>/</c>.</summary>
        RoutePath,
        // A request header (Vault's X-Vault-Namespace), without surrounding '/'.
        Header,

        // Route values joined with '/' (a Vault path: mount, then the path inside it); a trailing '/' in the name keeps one on the key.
        Joined,
    }

    private readonly (From Source, string Name) ns;
    private readonly (From Source, string Name) env;
    private readonly (From Source, string Name) key;
    private readonly bool anywhere;

    private AccessScope((From, string) ns, (From, string) env, (From, string) key, bool anywhere = false)
    {
        this.ns = ns;
        this.env = env;
        this.key = key;
        this.anywhere = anywhere;
    }

    /// <summary>The header Vault clients name their namespace in; the Vault face reads it as the ConfigCluster namespace.</summary>
    public const string VaultNamespaceHeader = "X-Vault-Namespace";

    /// <summary>Scope-wide: <c>ns</c> and <c>env</c> from the query, no key (the caller needs the capability somewhere in that scope).</summary>
    public static AccessScope Environment { get; } = new((From.Query, "ns"), (From.Query, "env"), (From.None, ""));

    /// <summary>Cluster-wide: namespace and environment <c>*</c>; only a rule for every namespace and environment grants it.</summary>
    public static AccessScope Cluster { get; } = new((From.Fixed, "*"), (From.Fixed, "*"), (From.None, ""));

    /// <summary>
    /// Anywhere: the caller needs the capability in at least one scope. For multi-key requests
    /// (change-sets) whose items carry their own scopes and are checked one by one later.
    /// </summary>
    public static AccessScope Anywhere { get; } = new((From.Fixed, "*"), (From.Fixed, "*"), (From.None, ""), anywhere: true);

    /// <summary>One key, taken from the route value <paramref name="name"/>; <c>ns</c> and <c>env</c> from the query.</summary>
    public static AccessScope FromRoute(string name) => new((From.Query, "ns"), (From.Query, "env"), (From.Route, name));

    /// <summary>
    /// One key made of route values joined with <c>/</c> (a Vault KV path <c>{mount}/{path}</c>), in the
    /// namespace the <c>X-Vault-Namespace</c> header names (else <c>default</c>) and environment
    /// <c>default</c>. With <paramref name="folder"/> the key ends with <c>/</c>, so a
    /// listing of <c>secret/app/</c> is checked against rules such as <c>secret/*</c>.
    /// </summary>
    public static AccessScope FromRoutePath(bool folder, params string[] names)
        => new((From.Header, VaultNamespaceHeader), (From.Fixed, KeyPath.DefaultScope), (From.Joined, string.Join('/', names) + (folder ? "/" : "")));

    /// <summary>One key when the query parameter <paramref name="name"/> is given, else scope-wide.</summary>
    public static AccessScope FromQuery(string name) => new((From.Query, "ns"), (From.Query, "env"), (From.Query, name));

    /// <summary>
    /// A fixed namespace and environment (an API face's own, like the Consul face's <c>consul</c>
    /// and <c>default</c>), with the key from the catch-all route value <paramref name="keyRouteValue"/>
    /// read by <see cref="RoutePath"/> (scope-wide when it is null or the value is empty). The route
    /// must read its key with <see cref="RoutePath"/> too, so the check and the route agree.
    /// </summary>
    public static AccessScope Fixed(string ns, string env, string? keyRouteValue)
        => new((From.Fixed, ns), (From.Fixed, env), keyRouteValue is null ? (From.None, "") : (From.RoutePath, keyRouteValue));

    /// <summary>
    /// A fixed namespace and environment, with the key named <paramref name="keyPrefix"/> followed
    /// by the route value <paramref name="keyRouteValue"/> (the transit face's <c>transit/&lt;name&gt;</c>).
    /// </summary>
    public static AccessScope FixedWithKeyPrefix(string ns, string env, string keyPrefix, string keyRouteValue)
        => new((From.Fixed, ns), (From.Fixed, env), (From.Route, keyRouteValue)) { KeyPrefix = keyPrefix };

    /// <summary>A fixed namespace, environment and key (a face's route that names no key of its own, like <c>transit/random</c>).</summary>
    public static AccessScope FixedKey(string ns, string env, string key) => new((From.Fixed, ns), (From.Fixed, env), (From.Fixed, key));

    /// <summary>
    /// A catch-all route value as a path: the server decodes every escape except <c>%2F</c>, which
    /// clients such as Consul's send for the slashes of a key; it is read as <c>/</c> here.
    /// </summary>
    public static string? RoutePath(string? value)
        => value is null ? null : value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>The same scope with the environment read from the query parameter <paramref name="name"/>.</summary>
    public AccessScope EnvironmentFromQuery(string name) => new(ns, (From.Query, name), key, anywhere);

    /// <summary>The same scope with the environment read from the route value <paramref name="name"/>.</summary>
    public AccessScope EnvironmentFromRoute(string name) => new(ns, (From.Route, name), key, anywhere);

    /// <summary>The same scope with the namespace from the route value <paramref name="name"/> and any environment (<c>*</c>).</summary>
    public AccessScope NamespaceFromRoute(string name) => new((From.Route, name), (From.Fixed, "*"), key, anywhere);

    /// <summary>The same scope for any environment of the namespace (<c>*</c>).</summary>
    public AccessScope AnyEnvironment() => new(ns, (From.Fixed, "*"), key, anywhere);

    // Put before the key read from the route (FixedWithKeyPrefix).
    private string KeyPrefix { get; init; } = "";

    internal AccessRequest Describe(string operation, Capability capability, HttpContext context)
    {
        var request = context.Request;
        var keyText = Read(key, context);
        if (KeyPrefix.Length > 0 && !string.IsNullOrEmpty(keyText))
            keyText = KeyPrefix + keyText;
        long? version = request.Query.TryGetValue("version", out var versionText) && long.TryParse(versionText, out var parsed) ? parsed : null;
        return new AccessRequest(operation, capability, Read(ns, context) ?? KeyPath.DefaultScope, Read(env, context) ?? KeyPath.DefaultScope,
            string.IsNullOrEmpty(keyText) ? null : keyText, version, anywhere);
    }

    private static string? Read((From Source, string Name) part, HttpContext context) => part.Source switch
    {
        From.Query => context.Request.Query.TryGetValue(part.Name, out var value) && value.Count > 0 && !string.IsNullOrEmpty(value[0]) ? value[0] : null,
        From.Route => context.Request.RouteValues.TryGetValue(part.Name, out var value) ? value as string : null,
        From.RoutePath => context.Request.RouteValues.TryGetValue(part.Name, out var value) ? RoutePath(value as string) : null,
        From.Fixed => part.Name,
        From.Joined => Join(part.Name, context),
        From.Header => context.Request.Headers[part.Name] is [{ Length: > 0 } value] && value.Trim('/') is { Length: > 0 } trimmed ? trimmed : null,
        _ => null,
    };

    private static string? Join(string names, HttpContext context)
    {
        // A folder (a listing, or a path that ends with '/' or is empty) keeps its trailing '/',
        // so "secret/" is checked against rules such as "secret/*".
        var values = names.TrimEnd('/').Split('/')
            .Select(name => context.Request.RouteValues.TryGetValue(name, out var value) ? value as string ?? "" : "")
            .ToList();
        var folder = names.EndsWith('/') || values[^1].Length == 0 || values[^1].EndsWith('/');
        var key = string.Join('/', values.Select(static v => v.Trim('/')).Where(static v => v.Length > 0));
        return key.Length == 0 ? null : folder ? key + "/" : key;
    }
}
