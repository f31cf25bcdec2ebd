using System.Net.Http;

namespace ConfigCluster.Client;

/// <summary>Settings of a <see cref="ConfigClusterClient"/>. Checked when the client is created.</summary>
public sealed class ConfigClusterClientOptions
{
    /// <summary>
    /// gRPC URLs of the nodes (any subset of the cluster), all <c>http://</c> or all
    /// <c>https://</c>. Required: at least one.
    /// </summary>
    public IList<Uri> Endpoints { get; set; } = new List<Uri>();

    /// <summary>The token sent as <c>authorization: Bearer</c> metadata; null (the default) sends none.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Log in by AppRole instead of a fixed <see cref="Token"/>: the client logs in at its first call,
    /// renews the token before it expires and logs in again when renewal is refused or the max TTL
    /// is reached. Default none.
    /// </summary>
    public AppRoleLoginOptions? AppRoleLogin { get; set; }

    /// <summary>Log in with a JWT read from a file (e.g. a Kubernetes service-account token) at each login; renewed like <see cref="AppRoleLogin"/>. Default none.</summary>
    public JwtLoginOptions? JwtLogin { get; set; }

    /// <summary>Namespace used when a call names none. Default <c>default</c>.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Environment used when a call names none. Default <c>default</c>.</summary>
    public string Environment { get; set; } = "default";

    /// <summary>How long one operation may take, retries and failovers included. Default 30 s.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one attempt on one node may take before the client tries another node. Default
    /// 15 s: above the server's own write timeout (10 s), so a node that can answer
    /// "not applied" or "ambiguous" gets to say so first.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First pause between retries; doubles (with ±20 % jitter) up to <see cref="MaxRetryBackoff"/>. Default 50 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between retries. Default 1 s.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest pause before the channel reconnects to a node that was down. Default 5 s (gRPC's
    /// own default is 120 s, which would leave a restarted node unused for minutes).
    /// </summary>
    public TimeSpan MaxReconnectBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often an idle watch asks for a progress message. A watch that hears nothing for five
    /// times this (at least 5 s) takes its node for dead and resumes on another. Default 1 s.
    /// </summary>
    public TimeSpan WatchProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock used for deadlines and backoff. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// PEM file of the CA certificate(s) that issued the nodes' certificates, for <c>https://</c>
    /// endpoints signed by a private CA (as etcdctl's <c>--cacert</c>, Vault's <c>VAULT_CACERT</c>):
    /// a node's chain must end in one of them (the system's roots are not used), and its name is
    /// still checked. Default none: the system's trusted roots.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>Adjusts the HTTP handler (runs after <see cref="CaCertificateFile"/> is applied). Default none.</summary>
    public Action<SocketsHttpHandler>? ConfigureHttpHandler { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    internal void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0)
            throw new ArgumentException("ConfigClusterClientOptions.Endpoints: at least one gRPC URL is required (e.g. http://127.0.0.1:7012)");
        foreach (var endpoint in Endpoints)
        {
            if (endpoint is null || !endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"ConfigClusterClientOptions.Endpoints: '{endpoint}' is not an absolute http:// or https:// URL");
        }

        if (Endpoints.Select(static e => e.Scheme).Distinct().Count() > 1)
            throw new ArgumentException("ConfigClusterClientOptions.Endpoints: mix of http:// and https:// URLs; use one scheme for every node");
        if (string.IsNullOrWhiteSpace(Namespace) || string.IsNullOrWhiteSpace(Environment))
            throw new ArgumentException("ConfigClusterClientOptions: Namespace and Environment must not be empty");
        // An empty Token (an unset variable in a deployment's template) counts as none.
        if (new object?[] { string.IsNullOrEmpty(Token) ? null : Token, AppRoleLogin, JwtLogin }.Count(static o => o is not null) > 1)
            throw new ArgumentException("ConfigClusterClientOptions: set at most one of Token, AppRoleLogin and JwtLogin");
        if (AppRoleLogin is { } approle && (One(approle.RoleId, approle.RoleIdFile) || One(approle.SecretId, approle.SecretIdFile) || string.IsNullOrWhiteSpace(approle.MountPath)))
            throw new ArgumentException("ConfigClusterClientOptions.AppRoleLogin: exactly one of RoleId and RoleIdFile, and exactly one of SecretId and SecretIdFile, are required");
        if (JwtLogin is { } jwt && (string.IsNullOrWhiteSpace(jwt.Role) || string.IsNullOrWhiteSpace(jwt.TokenFile) || string.IsNullOrWhiteSpace(jwt.MountPath)))
            throw new ArgumentException("ConfigClusterClientOptions.JwtLogin: Role and TokenFile are required");
        if (!string.IsNullOrEmpty(CaCertificateFile))
        {
            if (!UsesTls)
                throw new ArgumentException("ConfigClusterClientOptions.CaCertificateFile is set but the endpoints are http://; use https:// URLs");
            CaTrust.Load(CaCertificateFile);
        }

        Positive(OperationTimeout, nameof(OperationTimeout));
        Positive(CallTimeout, nameof(CallTimeout));
        Positive(RetryBackoff, nameof(RetryBackoff));
        Positive(MaxRetryBackoff, nameof(MaxRetryBackoff));
        Positive(MaxReconnectBackoff, nameof(MaxReconnectBackoff));
        Positive(WatchProgressInterval, nameof(WatchProgressInterval));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    // True when not exactly one of the two is given.
    private static bool One(string? value, string? file) => string.IsNullOrEmpty(value) == string.IsNullOrEmpty(file);

    /// <summary>Whether the endpoints use TLS.</summary>
    internal bool UsesTls => Endpoints.Count > 0 && Endpoints[0].Scheme == Uri.UriSchemeHttps;

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentException($"ConfigClusterClientOptions.{name} must be positive (was {value})");
    }
}
