using System.Text;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>A static role's credential as <c>GET /v1/database/static-creds/&lt;role&gt;</c> answers it.</summary>
internal sealed record StaticCredential(string Username, string Password, DateTimeOffset LastRotated, TimeSpan RotationPeriod, TimeSpan Ttl);

internal sealed partial class DatabaseEngine
{
    /// <summary>What a static role runs when it sets no rotation statements (Vault's PostgreSQL default).</summary>
    public static readonly IReadOnlyList<string> DefaultStaticRotation = ["ALTER ROLE \"{{name}}\" WITH PASSWORD '{{password}}';"];

    public StoredStaticRole? FindStaticRole(string name) => store.FindStaticRole(name);

    public IReadOnlyList<string> StaticRoleNames() => [.. store.StaticRoles().Select(static r => r.Name)];

    /// <summary>
    /// Creates or replaces a static role; a new one gets its first password at once (in the database
    /// and sealed in the log). When that first rotation fails the role stays and the leader retries it.
    /// </summary>
    public async Task<ConfigError?> WriteStaticRoleAsync(DatabaseStaticRoleOp role, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindDatabaseConfig(role.DbName) is not { } config)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown database connection: {role.DbName}");
        if (!config.Allows(role.Name))
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"\"{role.Name}\" is not an allowed role");
        var command = pipeline.NewCommand(null);
        command.DatabaseStaticRole = role;
        if ((await pipeline.SubmitOnceAsync(command, token)).Error is { } error)
            return error;
        // This node may apply the role a moment after the leader answered.
        if (await CatchUpAsync(token) is { } behind)
            return behind;
        return store.FindStaticRole(role.Name) is { Generation: 0 } ? await RotateStaticRoleAsync(role.Name, null, token) : null;
    }

    /// <summary>Removes a static role (its database user stays, as in Vault).</summary>
    public async Task<ConfigError?> DeleteStaticRoleAsync(string name, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.DatabaseStaticRoleDelete = new DatabaseStaticRoleDeleteOp { Name = name };
        return (await pipeline.SubmitOnceAsync(command, token)).Error;
    }

    /// <summary>A static role's current credential, after catching up with the log.</summary>
    public async Task<Outcome<StaticCredential>> StaticCredentialAsync(string name, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindStaticRole(name) is not { } role)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown static role: {name}");
        if (role.Generation == 0 || role.LastRotatedAt is not { } last)
            return new ConfigError(ConfigErrorCode.Unavailable, $"static role '{name}' has no password yet (its first rotation is being retried)");
        var password = OpenSealed(role.SealedPassword, StaticRolePath(name), role.Generation);
        if (password.Error is { } openError)
            return openError;
        var ttl = role.NextDue - clock.GetUtcNow();
        return new StaticCredential(role.Username, password.Value!, last, role.RotationPeriod, ttl < TimeSpan.Zero ? TimeSpan.Zero : ttl);
    }

    /// <summary>
    /// Rotates a static role's password: a new password sealed into the log as the intent, set in the
    /// database with the role's rotation statements, then confirmed. A rotation already pending (its
    /// node died between the steps, or another node is at it) is finished instead, with its own
    /// password. <paramref name="due"/> (the leader's schedule) makes apply refuse a rotation whose due
    /// time was already served, so a scheduled rotation is never doubled.
    /// </summary>
    public async Task<ConfigError?> RotateStaticRoleAsync(string name, DateTimeOffset? due, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindStaticRole(name) is not { } role)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown static role: {name}");
        if (!role.HasPending)
        {
            if (due is { } d && role.NextDue != d)
                return null; // served meanwhile
            var password = CredentialTemplates.NewPassword();
            var sealedOutcome = await sealer.SealAsync(StaticRolePath(name), Encoding.UTF8.GetBytes(password), role.Generation + 1, token);
            if (sealedOutcome.Error is { } sealError)
                return sealError;
            var intent = pipeline.NewCommand(null);
            intent.DatabaseStaticRotate = new DatabaseStaticRotateOp
            {
                Name = name, ExpectedGeneration = role.Generation, SealedPassword = ByteString.CopyFrom(sealedOutcome.Value!.Envelope),
                DueUnixMs = due?.ToUnixTimeMilliseconds() ?? 0,
            };
            var recorded = await pipeline.SubmitRawAsync(intent, token);
            if (recorded.Error is { } recordError)
                return recordError;
            if (recorded.Value!.Code == ResultCode.ResultVersionMismatch && due is not null)
                return null; // another rotation got there first: the schedule moved on
            if (recorded.Value.Code is not (ResultCode.ResultOk or ResultCode.ResultVersionMismatch))
                return WriteResults.ToError(recorded.Value);
        }

        return await CompleteStaticRotationAsync(name, token);
    }

    /// <summary>Sets a pending rotation's password in the database and confirms it (harmless when another node did).</summary>
    public async Task<ConfigError?> CompleteStaticRotationAsync(string name, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindStaticRole(name) is not { } role)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown static role: {name}");
        if (!role.HasPending)
            return null;
        if (store.FindDatabaseConfig(role.DbName) is not { } config)
            return new ConfigError(ConfigErrorCode.Internal, $"database connection '{role.DbName}' does not exist; the password cannot be set");
        var connection = ConnectionString(config);
        if (connection.Error is { } connectionError)
            return connectionError;
        var password = OpenSealed(role.PendingSealedPassword, StaticRolePath(name), role.Generation + 1);
        if (password.Error is { } openError)
            return openError;
        var statements = role.RotationStatements.Count > 0 ? role.RotationStatements : DefaultStaticRotation;
        try
        {
            await runner.RunAsync(connection.Value!, statements.Select(s => CredentialTemplates.Render(s, role.Username, password.Value, DateTimeOffset.MaxValue)),
                [password.Value, OpenPassword(config).Value], token);
        }
        catch (DatabaseFailure e)
        {
            return new ConfigError(ConfigErrorCode.Internal, $"failed to set the static role's password: {e.Message}");
        }

        var confirm = pipeline.NewCommand(null);
        confirm.DatabaseStaticRotate = new DatabaseStaticRotateOp { Name = name, Confirm = true, ExpectedGeneration = role.Generation };
        var done = await pipeline.SubmitRawAsync(confirm, token);
        if (done.Error is { } doneError)
            return doneError;
        if (done.Value!.Code is not (ResultCode.ResultOk or ResultCode.ResultVersionMismatch))
            return WriteResults.ToError(done.Value);
        Log.StaticRotated(logger, name, role.Username, role.Generation + 1);
        return null;
    }

    /// <summary>
    /// Rotates a connection's admin password: the new one sealed into the log as the intent, set in
    /// PostgreSQL with ALTER ROLE (as the admin, with the old password), then confirmed; the old one
    /// stops working. A pending rotation is finished instead (see <see cref="CompleteRootRotationAsync"/>).
    /// </summary>
    public async Task<ConfigError?> RotateRootAsync(string name, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindDatabaseConfig(name) is not { } config)
            return new ConfigError(ConfigErrorCode.NotFound, $"unknown database connection: {name}");
        if (config.SealedPassword.IsEmpty || config.Username.Length == 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "the connection has no admin username and password to rotate");
        if (!IsQuotableIdentifier(config.Username))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "the admin username cannot be quoted as a PostgreSQL identifier");
        if (config.PendingSealedPassword.IsEmpty)
        {
            var password = CredentialTemplates.NewPassword();
            var sealedOutcome = await sealer.SealAsync(PasswordPath(name), Encoding.UTF8.GetBytes(password), 1, token);
            if (sealedOutcome.Error is { } sealError)
                return sealError;
            var intent = pipeline.NewCommand(null);
            intent.DatabaseRootRotate = new DatabaseRootRotateOp { Name = name, SealedPassword = ByteString.CopyFrom(sealedOutcome.Value!.Envelope) };
            var recorded = await pipeline.SubmitRawAsync(intent, token);
            if (recorded.Error is { } recordError)
                return recordError;
            if (recorded.Value!.Code is not (ResultCode.ResultOk or ResultCode.ResultVersionMismatch))
                return WriteResults.ToError(recorded.Value);
        }

        return await CompleteRootRotationAsync(name, token);
    }

    /// <summary>
    /// Finishes a pending root rotation: ALTER ROLE as the admin with the current password; if that
    /// login fails, the database may already have the new one (a node died before confirming), which
    /// is then checked by logging in with it. Confirmed through the log either way.
    /// </summary>
    public async Task<ConfigError?> CompleteRootRotationAsync(string name, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        if (store.FindDatabaseConfig(name) is not { PendingSealedPassword.IsEmpty: false } config)
            return null;
        var current = ConnectionString(config);
        if (current.Error is { } currentError)
            return currentError;
        var next = OpenSealed(config.PendingSealedPassword, PasswordPath(name), 1);
        if (next.Error is { } openError)
            return openError;
        if (!PostgresConnection.TryBuild(config.ConnectionUrl, config.Username, next.Value!, out var nextConnection, out var urlError))
            return new ConfigError(ConfigErrorCode.InvalidArgument, urlError);
        string?[] secrets = [next.Value, OpenPassword(config).Value];
        try
        {
            await runner.RunAsync(current.Value!, [$"ALTER ROLE \"{config.Username}\" WITH PASSWORD '{next.Value}';"], secrets, token);
        }
        catch (DatabaseFailure e)
        {
            try
            {
                await runner.VerifyAsync(nextConnection, secrets, token);
            }
            catch (DatabaseFailure)
            {
                await runner.ForgetAsync(nextConnection);
                return new ConfigError(ConfigErrorCode.Internal, $"failed to rotate the admin password: {e.Message}");
            }
        }

        var confirm = pipeline.NewCommand(null);
        confirm.DatabaseRootRotate = new DatabaseRootRotateOp { Name = name, Confirm = true };
        var done = await pipeline.SubmitRawAsync(confirm, token);
        if (done.Error is { } doneError)
            return doneError;
        if (done.Value!.Code is not (ResultCode.ResultOk or ResultCode.ResultVersionMismatch))
            return WriteResults.ToError(done.Value);
        await runner.ForgetAsync(current.Value!);
        Log.RootRotated(logger, name, config.Username);
        return null;
    }

    /// <summary>Whether a name can go between double quotes in SQL as it is (no quote, no control character).</summary>
    public static bool IsQuotableIdentifier(string name)
        => name.Length is > 0 and <= CredentialTemplates.MaxUsernameLength && !name.Any(static c => c == '"' || char.IsControl(c));

    // A static role's passwords are bound to its path and generation (associated data).
    private static KeyPath StaticRolePath(string name)
        => KeyPath.TryCreate("database", "static-roles", name, out var path, out var error) ? path : throw new ArgumentException(error, nameof(name));

    private Outcome<string> OpenSealed(ReadOnlyMemory<byte> envelope, KeyPath path, long version)
    {
        if (keyring.SealedReason is { } reason)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {reason}");
        return keyring.TryOpen(envelope.Span, path, version, out var plaintext, out var error)
            ? Encoding.UTF8.GetString(plaintext)
            : new ConfigError(ConfigErrorCode.Internal, error);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6620, Level = LogLevel.Information, Message = "Rotated the password of static role {Role} (database user {Username}): generation {Generation}")]
        public static partial void StaticRotated(ILogger logger, string role, string username, long generation);

        [LoggerMessage(EventId = 6621, Level = LogLevel.Information, Message = "Rotated the admin password of database connection {Name} (user {Username})")]
        public static partial void RootRotated(ILogger logger, string name, string username);
    }
}
