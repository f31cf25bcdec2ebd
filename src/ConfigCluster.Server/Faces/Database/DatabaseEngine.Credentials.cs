using System.Diagnostics;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>Why a lease is revoked; apply checks the last two against the command's timestamp.</summary>
internal enum RevokeReason
{
    /// <summary>Asked for (revoke, revoke-prefix), or already marked for revocation.</summary>
    Explicit,

    /// <summary>Past its expiry.</summary>
    Expired,

    /// <summary>The token that asked for it was revoked or has expired.</summary>
    OwnerEnded,
}

/// <summary>A credential just issued: its lease and the user (the password is shown once, to the caller).</summary>
internal sealed record IssuedCredential(string LeaseId, TimeSpan LeaseDuration, string Username, string Password);

internal sealed partial class DatabaseEngine
{
    /// <summary>
    /// Issues a credential for <paramref name="roleName"/>: records the lease through the log (the
    /// intent, with the user's name but never the password), then creates the user in PostgreSQL
    /// with the role's creation statements. A user whose creation fails is revoked at once (or, if
    /// the database cannot be reached, by the leader's expiry loop).
    /// </summary>
    public async Task<Outcome<IssuedCredential>> IssueAsync(string roleName, string caller, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        // Caught up first: a role changed or a root password rotated a moment ago through another
        // node must be what this issue uses (with a stale admin password the database refuses us).
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;

        if (store.FindDatabaseRole(roleName) is not { } role)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown role: {roleName}");
        if (store.FindDatabaseConfig(role.DbName) is not { } config)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown database connection: {role.DbName}");
        if (!config.Allows(role.Name))
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"\"{role.Name}\" is not an allowed role");
        var connection = ConnectionString(config);
        if (connection.Error is { } connectionError)
            return connectionError;

        var username = CredentialTemplates.NewUsername(caller, role.Name, clock.GetUtcNow());
        var leaseId = CredentialTemplates.NewLeaseId(role.Name);
        var command = pipeline.NewCommand(null);
        command.LeaseCreate = new LeaseCreateOp { LeaseId = leaseId, Role = role.Name, Username = username, TokenAccessor = Acl.CallerIdentity.Current?.Accessor ?? "" };
        var recorded = await pipeline.SubmitOnceAsync(command, token);
        if (recorded.Error is { } recordError)
            return recordError;
        // Apply answers with the expiry it recorded (the command's timestamp + the lease's ttl).
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(recorded.Value!.Version);
        var ttl = expires - DateTimeOffset.FromUnixTimeMilliseconds(command.TimestampUnixMs);
        var password = CredentialTemplates.NewPassword();
        try
        {
            var statements = role.CreationStatements.Select(s => CredentialTemplates.Render(s, username, password, expires));
            await runner.RunAsync(connection.Value!, statements, [password, OpenPassword(config).Value], token);
        }
        catch (DatabaseFailure e)
        {
            Log.CreationFailed(logger, leaseId, role.Name, e.Message);
            // Nothing was created (one transaction); the lease goes the ordinary way of a revocation.
            _ = await RevokeAsync(leaseId, RevokeReason.Explicit, CancellationToken.None);
            return new ConfigError(ConfigErrorCode.Internal, $"failed to create the database user: {e.Message}");
        }

        LeaseMeters.IssueDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        Log.Issued(logger, leaseId, username);
        return new IssuedCredential(leaseId, ttl, username, password);
    }

    /// <summary>Extends a lease (up to its max_ttl) and the user's login with it.</summary>
    public async Task<Outcome<StoredLease>> RenewAsync(string leaseId, TimeSpan increment, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.LeaseRenew = new LeaseRenewOp { LeaseId = leaseId, IncrementMs = (long)increment.TotalMilliseconds };
        var outcome = await pipeline.SubmitOnceAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindLease(leaseId) is not { } lease)
            return new ConfigError(ConfigErrorCode.NotFound, "lease not found");
        // The login stays valid as long as the lease (a creation statement may have set VALID UNTIL).
        if (store.FindDatabaseConfig(lease.DbName) is { } config && ConnectionString(config).Value is { } connection)
        {
            try
            {
                await runner.RunAsync(connection, CredentialTemplates.Renewal.Select(s => CredentialTemplates.Render(s, lease.Username, null, lease.ExpiresAt)), [OpenPassword(config).Value], token);
            }
            catch (DatabaseFailure e)
            {
                return new ConfigError(ConfigErrorCode.Internal, $"the lease was extended, but the database user's validity was not: {e.Message}");
            }
        }

        return lease;
    }

    /// <summary>
    /// Revokes a lease: the intent through the log (no renewal after it; for <see cref="RevokeReason.Expired"/>,
    /// only if the log's timestamp is past its expiry), then the role's revocation statements (under
    /// an advisory lock on the user, and skipped when the user is already gone, so two nodes revoking
    /// at once or a repeated revocation are harmless), then the confirmation.
    /// A lease already gone counts as revoked.
    /// </summary>
    public async Task<ConfigError?> RevokeAsync(string leaseId, RevokeReason reason, CancellationToken token)
    {
        var intent = pipeline.NewCommand(null);
        intent.LeaseRevoke = new LeaseRevokeOp { LeaseId = leaseId, Expired = reason == RevokeReason.Expired, OwnerEnded = reason == RevokeReason.OwnerEnded };
        var marked = await pipeline.SubmitOnceAsync(intent, token);
        if (marked.Error is { Code: ConfigErrorCode.NotFound })
            return null;
        if (marked.Error is { } markError)
            return markError;
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindLease(leaseId) is not { } lease)
            return null;
        if (store.FindDatabaseConfig(lease.DbName) is not { } config)
            return new ConfigError(ConfigErrorCode.Internal, $"database connection '{lease.DbName}' no longer exists; the user cannot be dropped");
        var connection = ConnectionString(config);
        if (connection.Error is { } connectionError)
            return connectionError;
        // The role's statements as they are now (a fixed revocation applies to leases issued before), else the lease's copy.
        var statements = store.FindDatabaseRole(lease.Role) is { } role ? role.RevocationStatements : lease.RevocationStatements;
        if (statements.Count == 0)
            statements = CredentialTemplates.DefaultRevocation;
        string?[] secrets = [OpenPassword(config).Value];
        try
        {
            await runner.DropUserAsync(connection.Value!, lease.Username, statements.Select(s => CredentialTemplates.Render(s, lease.Username, null, lease.ExpiresAt)), secrets, token);
        }
        catch (DatabaseFailure e)
        {
            return new ConfigError(ConfigErrorCode.Internal, $"failed to revoke lease: {e.Message}");
        }

        var confirm = pipeline.NewCommand(null);
        confirm.LeaseRevoke = new LeaseRevokeOp { LeaseId = leaseId, Confirmed = true };
        var done = await pipeline.SubmitOnceAsync(confirm, token);
        if (done.Error is { Code: not ConfigErrorCode.NotFound } doneError)
            return doneError;
        Log.Revoked(logger, leaseId, lease.Username, reason);
        return null;
    }

    /// <summary>A lease as this node has it after catching up with the log.</summary>
    public async Task<Outcome<StoredLease>> LookupAsync(string leaseId, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        return store.FindLease(leaseId) is { } lease ? lease : new ConfigError(ConfigErrorCode.NotFound, "lease not found");
    }

    /// <summary>Every lease whose id starts with <paramref name="prefix"/>, after catching up.</summary>
    public async Task<Outcome<IReadOnlyList<StoredLease>>> LeasesAsync(string prefix, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        return store.Leases().Where(l => l.LeaseId.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6600, Level = LogLevel.Information, Message = "Issued lease {LeaseId} for database user {Username}")]
        public static partial void Issued(ILogger logger, string leaseId, string username);

        [LoggerMessage(EventId = 6601, Level = LogLevel.Warning, Message = "Creating the database user of lease {LeaseId} (role {Role}) failed: {Reason}")]
        public static partial void CreationFailed(ILogger logger, string leaseId, string role, string reason);

        [LoggerMessage(EventId = 6602, Level = LogLevel.Information, Message = "Revoked lease {LeaseId} (database user {Username}; reason: {Reason})")]
        public static partial void Revoked(ILogger logger, string leaseId, string username, RevokeReason reason);
    }
}
