using System.Text;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>A database connection as asked for by <c>POST /v1/database/config/&lt;name&gt;</c>.</summary>
internal sealed record DatabaseConfigRequest(string Name, string PluginName, string ConnectionUrl, string Username, string? Password, IReadOnlyList<string> AllowedRoles, bool VerifyConnection);

/// <summary>
/// The database secrets engine: connections and roles kept in the replicated state (through the
/// log), and the credentials issued on them (see <c>DatabaseEngine.Credentials.cs</c>). A
/// connection's admin password is sealed with AES-256-GCM under the keyring's newest data key on
/// the accepting node before its command exists, and opened only to talk to the database.
/// </summary>
internal sealed partial class DatabaseEngine(IVersionedStore store, WritePipeline pipeline, SecretSealer sealer, SecretKeyring keyring, PostgresRunner runner,
    TimeProvider clock, ILogger<DatabaseEngine> logger)
{
    /// <summary>Waits until this node has applied everything committed so far.</summary>
    public Task<ConfigError?> CatchUpAsync(CancellationToken token) => pipeline.CatchUpAsync(token);

    public StoredDatabaseConfig? FindConfig(string name) => store.FindDatabaseConfig(name);

    public IReadOnlyList<string> ConfigNames() => store.DatabaseConfigNames();

    public StoredDatabaseRole? FindRole(string name) => store.FindDatabaseRole(name);

    public IReadOnlyList<string> RoleNames() => store.DatabaseRoleNames();

    /// <summary>Creates or replaces a connection; with verify_connection, only once the admin can log in.</summary>
    public async Task<ConfigError?> WriteConfigAsync(DatabaseConfigRequest request, CancellationToken token)
    {
        if (await CatchUpAsync(token) is { } barrierError)
            return barrierError;
        var existing = store.FindDatabaseConfig(request.Name);
        // An update without a password keeps the stored one (Vault merges a config update).
        byte[]? sealedPassword = null;
        var password = request.Password;
        if (password is null && existing is { SealedPassword.Length: > 0 })
        {
            var opened = OpenPassword(existing);
            if (opened.Error is { } openError)
                return openError;
            password = opened.Value;
            sealedPassword = existing.SealedPassword.ToArray();
        }

        if (!PostgresConnection.TryBuild(request.ConnectionUrl, request.Username, password ?? "", out var connectionString, out var urlError))
            return new ConfigError(ConfigErrorCode.InvalidArgument, urlError);
        if (request.VerifyConnection)
        {
            try
            {
                await runner.VerifyAsync(connectionString, [password], token);
            }
            catch (DatabaseFailure e)
            {
                return new ConfigError(ConfigErrorCode.InvalidArgument, $"error verifying connection: {e.Message}");
            }
            finally
            {
                await runner.ForgetAsync(connectionString);
            }
        }

        if (sealedPassword is null && !string.IsNullOrEmpty(password))
        {
            var sealedOutcome = await sealer.SealAsync(PasswordPath(request.Name), Encoding.UTF8.GetBytes(password), 1, token);
            if (sealedOutcome.Error is { } sealError)
                return sealError;
            sealedPassword = sealedOutcome.Value!.Envelope;
        }

        var command = pipeline.NewCommand(null);
        command.DatabaseConfig = new DatabaseConfigOp
        {
            Name = request.Name,
            PluginName = request.PluginName,
            ConnectionUrl = request.ConnectionUrl,
            Username = request.Username,
            SealedPassword = sealedPassword is null ? ByteString.Empty : ByteString.CopyFrom(sealedPassword),
        };
        command.DatabaseConfig.AllowedRoles.AddRange(request.AllowedRoles);
        var outcome = await pipeline.SubmitOnceAsync(command, token);
        if (outcome.Error is null && existing is not null && ConnectionString(existing).Value is { } old)
            await runner.ForgetAsync(old);
        return outcome.Error;
    }

    /// <summary>Creates or replaces a role.</summary>
    public async Task<ConfigError?> WriteRoleAsync(DatabaseRoleOp role, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.DatabaseRole = role;
        return (await pipeline.SubmitOnceAsync(command, token)).Error;
    }

    /// <summary>Removes a connection or a role (leases issued on them keep what revoking them needs).</summary>
    public async Task<ConfigError?> DeleteAsync(DatabaseObjectKind kind, string name, CancellationToken token)
    {
        var command = pipeline.NewCommand(null);
        command.DatabaseDelete = new DatabaseDeleteOp { Kind = kind, Name = name };
        return (await pipeline.SubmitOnceAsync(command, token)).Error;
    }

    // The admin password's envelope is bound to the connection's name (associated data).
    private static KeyPath PasswordPath(string name)
        => KeyPath.TryCreate("database", "config", name, out var path, out var error) ? path : throw new ArgumentException(error, nameof(name));

    private Outcome<string?> OpenPassword(StoredDatabaseConfig config)
    {
        if (config.SealedPassword.IsEmpty)
            return (string?)null;
        if (keyring.SealedReason is { } reason)
            return new ConfigError(ConfigErrorCode.Sealed, $"this node is sealed: {reason}");
        return keyring.TryOpen(config.SealedPassword.Span, PasswordPath(config.Name), 1, out var plaintext, out var error)
            ? Encoding.UTF8.GetString(plaintext)
            : new ConfigError(ConfigErrorCode.Internal, error);
    }

    // The connection string to reach the database as its admin (the password opened in memory only).
    private Outcome<string> ConnectionString(StoredDatabaseConfig config)
    {
        var password = OpenPassword(config);
        if (password.Error is { } error)
            return error;
        return PostgresConnection.TryBuild(config.ConnectionUrl, config.Username, password.Value ?? "", out var connectionString, out var urlError)
            ? connectionString
            : new ConfigError(ConfigErrorCode.InvalidArgument, urlError);
    }
}
