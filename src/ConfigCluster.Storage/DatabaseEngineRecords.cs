using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

/// <summary>A database connection of the database secrets engine as replicated (the admin password sealed).</summary>
public sealed record StoredDatabaseConfig(
    string Name,
    string PluginName,
    string ConnectionUrl,
    string Username,
    ReadOnlyMemory<byte> SealedPassword,
    IReadOnlyList<string> AllowedRoles,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Whether <paramref name="role"/> may issue credentials on this connection (Vault: none listed = none allowed).</summary>
    public bool Allows(string role) => AllowedRoles.Contains("*") || AllowedRoles.Contains(role);

    /// <summary>A root rotation recorded but not confirmed: the new admin password, sealed like the current one (empty = none).</summary>
    public ReadOnlyMemory<byte> PendingSealedPassword { get; init; }

    /// <summary>When the pending root rotation was recorded (log time), or null.</summary>
    public DateTimeOffset? PendingSince { get; init; }

    /// <summary>When the admin password was last rotated through rotate-root (null = never).</summary>
    public DateTimeOffset? RootRotatedAt { get; init; }

    internal static StoredDatabaseConfig From(DatabaseConfigRecord record) => new(
        record.Name, record.PluginName, record.ConnectionUrl, record.Username, record.SealedPassword.Memory,
        [.. record.AllowedRoles], DateTimeOffset.FromUnixTimeMilliseconds(record.UpdatedUnixMs))
    {
        PendingSealedPassword = record.PendingSealedPassword.Memory,
        PendingSince = record.PendingSinceUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.PendingSinceUnixMs) : null,
        RootRotatedAt = record.RootRotatedUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.RootRotatedUnixMs) : null,
    };
}

/// <summary>A role of the database secrets engine: the SQL that creates and drops a user, and its lease limits.</summary>
public sealed record StoredDatabaseRole(
    string Name,
    string DbName,
    IReadOnlyList<string> CreationStatements,
    IReadOnlyList<string> RevocationStatements,
    TimeSpan DefaultTtl,
    TimeSpan MaxTtl)
{
    internal static StoredDatabaseRole From(DatabaseRoleRecord record) => new(
        record.Name, record.DbName, [.. record.CreationStatements], [.. record.RevocationStatements],
        TimeSpan.FromMilliseconds(record.DefaultTtlMs), TimeSpan.FromMilliseconds(record.MaxTtlMs));
}

/// <summary>
/// A lease on a dynamic credential: whose user it is, what drops it, and its times, every one
/// taken from log timestamps (so every node judges expiry the same way). Never the password.
/// </summary>
public sealed record StoredLease(
    string LeaseId,
    string Role,
    string DbName,
    string Username,
    IReadOnlyList<string> RevocationStatements,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    TimeSpan Ttl,
    bool Revoking,
    DateTimeOffset? LastRenewedAt)
{
    /// <summary>The accessor of the token that asked for the lease ("" = none); its revocation or expiry revokes the lease.</summary>
    public string TokenAccessor { get; init; } = "";

    internal static StoredLease From(LeaseRecord record) => new(
        record.LeaseId, record.Role, record.DbName, record.Username, [.. record.RevocationStatements],
        DateTimeOffset.FromUnixTimeMilliseconds(record.IssuedUnixMs),
        DateTimeOffset.FromUnixTimeMilliseconds(record.ExpiresUnixMs),
        DateTimeOffset.FromUnixTimeMilliseconds(record.MaxExpiresUnixMs),
        TimeSpan.FromMilliseconds(record.TtlMs),
        record.Revoking,
        record.LastRenewedUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(record.LastRenewedUnixMs) : null)
    {
        TokenAccessor = record.TokenAccessor,
    };
}
