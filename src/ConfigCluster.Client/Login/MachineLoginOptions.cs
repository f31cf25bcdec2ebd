namespace ConfigCluster.Client;

/// <summary>
/// Logs the client in with AppRole (Vault's <c>auth/approle/login</c>): a role id and a secret id,
/// the secret id given inline or (better) as a file the client reads at each login.
/// </summary>
public sealed class AppRoleLoginOptions
{
    /// <summary>The role's id (<c>GET /v1/auth/approle/role/NAME/role-id</c>). Set this or <see cref="RoleIdFile"/>.</summary>
    public string? RoleId { get; set; }

    /// <summary>A file holding the role id (surrounding white space ignored), read at each login.</summary>
    public string? RoleIdFile { get; set; }

    /// <summary>The secret id. Set this or <see cref="SecretIdFile"/>.</summary>
    public string? SecretId { get; set; }

    /// <summary>A file holding the secret id (surrounding white space ignored), read at each login.</summary>
    public string? SecretIdFile { get; set; }

    /// <summary>Where the method is mounted. Default <c>approle</c>.</summary>
    public string MountPath { get; set; } = "approle";
}

/// <summary>
/// Logs the client in with a JWT (Vault's <c>auth/jwt/login</c>), such as a Kubernetes
/// service-account token, read from <see cref="TokenFile"/> at each login (Kubernetes rotates it).
/// </summary>
public sealed class JwtLoginOptions
{
    /// <summary>The JWT role to log in as. Required.</summary>
    public string? Role { get; set; }

    /// <summary>The file holding the JWT. Default the Kubernetes service-account token's path.</summary>
    public string TokenFile { get; set; } = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>Where the method is mounted. Default <c>jwt</c>.</summary>
    public string MountPath { get; set; } = "jwt";
}

/// <summary>What a client that logs in by itself has done so far (for health checks and tests).</summary>
/// <param name="Logins">Successful logins.</param>
/// <param name="Renewals">Successful renewals.</param>
/// <param name="LeaseExpiresAt">When the current token expires by this process's clock (null: none yet, or never).</param>
public sealed record MachineLoginStatus(long Logins, long Renewals, DateTimeOffset? LeaseExpiresAt);
