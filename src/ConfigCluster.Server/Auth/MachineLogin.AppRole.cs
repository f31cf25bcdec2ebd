using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using Google.Protobuf;

namespace ConfigCluster.Server.Auth;

public sealed partial class MachineLogin
{
    /// <summary>Creates or updates an AppRole role; a new role gets a random role id.</summary>
    public async Task<ConfigError?> PutAppRoleAsync(string name, AppRoleSettings settings, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var command = config.NewCommand(null);
        var op = settings.Clone();
        if (op.RoleId.Length == 0)
            op.RoleId = RandomId();
        command.AppRole = new AppRoleOp { Name = name, Settings = op };
        return (await SubmitAsync(command, token)).Error;
    }

    /// <summary>Deletes a role and its secret ids.</summary>
    public async Task<ConfigError?> DeleteAppRoleAsync(string name, CancellationToken token)
    {
        var command = config.NewCommand(null);
        command.AppRole = new AppRoleOp { Name = name, Delete = true };
        return (await SubmitAsync(command, token)).Error;
    }

    /// <summary>Issues a secret id for <paramref name="role"/> (its TTL and uses are the role's).</summary>
    public async Task<Outcome<IssuedSecretId>> NewSecretIdAsync(string role, CancellationToken token)
    {
        if (config.Store.FindAppRole(role) is not { } settings)
            return new ConfigError(ConfigErrorCode.NotFound, $"role \"{role}\" does not exist");
        var secret = RandomId();
        var accessor = RandomId();
        var command = config.NewCommand(null);
        command.AppRoleSecretId = new AppRoleSecretIdOp
        {
            Role = role,
            SecretIdHash = ByteString.CopyFrom(TokenAuthenticator.Hash(secret)),
            Accessor = accessor,
            LogTimeEstimateMs = clock.Now().ToUnixTimeMilliseconds(),
        };
        var outcome = await SubmitAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return new IssuedSecretId(secret, accessor, settings.SecretIdTtlMs / 1000, settings.SecretIdNumUses);
    }

    /// <summary>
    /// Logs in with a role id and secret id: checked, one use spent and the token created at apply,
    /// in one log entry. A wrong role id or secret id (unknown, expired, used up) is one answer.
    /// </summary>
    public async Task<Outcome<IssuedToken>> AppRoleLoginAsync(string roleId, string? secretId, CancellationToken token)
    {
        // Credentials this node does not know, even once caught up, never reach the log: a flood of
        // wrong guesses costs no log entries. The decision that counts is still made at apply.
        var secretHash = secretId is { Length: > 0 } ? TokenAuthenticator.Hash(secretId) : [];
        if (!config.Store.AppRoleCredentialsKnown(roleId, secretHash))
        {
            if (await config.CatchUpAsync(token) is { } barrier)
                return barrier;
            if (!config.Store.AppRoleCredentialsKnown(roleId, secretHash))
                return new ConfigError(ConfigErrorCode.InvalidArgument, Storage.FasterVersionedStore.InvalidAppRoleCredentials);
        }

        var (secret, create) = NewToken("");
        var command = config.NewCommand(null);
        command.AppRoleLogin = new AppRoleLoginOp
        {
            RoleId = roleId,
            SecretIdHash = ByteString.CopyFrom(secretHash),
            Token = create,
        };
        var outcome = await SubmitAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return Issued(secret, create.Accessor);
    }
}
