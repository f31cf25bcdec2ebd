using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

// Machine login (AppRole, JWT) and the log clock. Every time-based decision here is judged by the
// log clock (LogNow), never by a node's own clock, so every node decides alike.
public sealed partial class FasterVersionedStore
{
    /// <summary>A token lifetime used when a role sets none (Vault's system default, 32 days).</summary>
    public static readonly TimeSpan DefaultTokenTtl = TimeSpan.FromHours(768);

    private const string RolePrefix = "approle/role/";
    private const string RoleIdPrefix = "approle/role-id/";
    private const string SecretPrefix = "approle/secret/";
    private const string JwtConfigPath = "jwt/config";
    private const string JwtRolePrefix = "jwt/role/";

    /// <inheritdoc/>
    public LogClockReading LogClock => Volatile.Read(ref current).Metadata.LogClock;

    /// <inheritdoc/>
    public AppRoleSettings? FindAppRole(string name)
        => Volatile.Read(ref current).Metadata.FindAuth(RolePrefix + name) is { } bytes ? AppRoleSettings.Parser.ParseFrom(bytes) : null;

    /// <inheritdoc/>
    public IReadOnlyList<string> AppRoleNames() => Names(RolePrefix);

    /// <inheritdoc/>
    public bool AppRoleCredentialsKnown(string roleId, ReadOnlySpan<byte> secretIdHash)
    {
        var metadata = Volatile.Read(ref current).Metadata;
        if (metadata.FindAuth(RoleIdPrefix + roleId) is not { } nameBytes)
            return false;
        var name = System.Text.Encoding.UTF8.GetString(nameBytes);
        if (metadata.FindAuth(RolePrefix + name) is not { } role)
            return false;
        return !AppRoleSettings.Parser.ParseFrom(role).BindSecretId || (secretIdHash.Length == 32 && metadata.FindAuth(SecretPath(name, secretIdHash)) is not null);
    }

    /// <inheritdoc/>
    public JwtConfigOp? JwtConfig()
        => Volatile.Read(ref current).Metadata.FindAuth(JwtConfigPath) is { } bytes ? JwtConfigOp.Parser.ParseFrom(bytes) : null;

    /// <inheritdoc/>
    public JwtRoleSettings? FindJwtRole(string name)
        => Volatile.Read(ref current).Metadata.FindAuth(JwtRolePrefix + name) is { } bytes ? JwtRoleSettings.Parser.ParseFrom(bytes) : null;

    /// <inheritdoc/>
    public IReadOnlyList<string> JwtRoleNames() => Names(JwtRolePrefix);

    private List<string> Names(string prefix) => [.. Volatile.Read(ref current).Metadata.AuthPaths(prefix).Select(p => p[prefix.Length..])];

    /// <summary>How far ahead of the log clock an accepting node's reading may be taken (clock entries come every second).</summary>
    public const long MaxLogTimeLeadMs = 3000;

    // The time a command is judged at: the log clock, or (before the first tick) the command's own timestamp.
    private long LogNow(Command command) => current.Metadata.LogClock.UnixMs is > 0 and var now ? now : command.TimestampUnixMs;

    // LogNow, moved up to the accepting node's reading of the log clock when that is ahead, by at most
    // MaxLogTimeLeadMs: deterministic (the reading travels in the command) and independent of any wall clock.
    private long LogNow(Command command, long estimate)
    {
        var now = LogNow(command);
        return estimate > now ? Math.Min(estimate, now + MaxLogTimeLeadMs) : now;
    }

    private static string SecretPath(string role, ReadOnlySpan<byte> hash) => SecretPrefix + role + "\0" + Convert.ToHexStringLower(hash);

    private CommandResult Ok() => new() { Code = ResultCode.ResultOk, Revision = revision };

    private CommandResult ApplyLogClock(Command command)
    {
        if (command.TimestampUnixMs > current.Metadata.LogClock.UnixMs)
            UpsertMetadata(RecordKeys.LogClock, new LogClockRecord { UnixMs = command.TimestampUnixMs }.ToByteArray());
        return Ok();
    }

    /// <summary>Whether <paramref name="name"/> may name a role: 1 to 128 of a-z A-Z 0-9 _ - . (no separators, no control characters).</summary>
    public static bool IsValidRoleName(string name)
        => name.Length is > 0 and <= 128 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    private CommandResult ApplyAppRole(AppRoleOp op)
    {
        if (!IsValidRoleName(op.Name))
            return Invalid("invalid role name");
        var existing = FindAppRole(op.Name);
        if (op.Delete)
        {
            if (existing is null)
                return NotFound($"no role {op.Name}");
            UpsertMetadata(RecordKeys.Auth(RolePrefix + op.Name), []);
            UpsertMetadata(RecordKeys.Auth(RoleIdPrefix + existing.RoleId), []);
            foreach (var path in current.Metadata.AuthPaths(SecretPrefix + op.Name + "\0"))
                UpsertMetadata(RecordKeys.Auth(path), []);
            return Ok();
        }

        if (op.Settings is null)
            return Invalid("a role needs settings");
        var settings = op.Settings.Clone();
        if (existing is not null)
            settings.RoleId = existing.RoleId;
        else if (settings.RoleId.Length is 0 or > 128 || current.Metadata.FindAuth(RoleIdPrefix + settings.RoleId) is not null)
            return Invalid("the role id is missing or in use");
        if (settings.TokenTtlMs < 0 || settings.TokenMaxTtlMs < 0 || settings.SecretIdTtlMs < 0 || settings.SecretIdNumUses < 0 || settings.TokenPeriodMs < 0)
            return Invalid("durations and counts must not be negative");
        if (ConfigCluster.Core.Tokens.BoundCidrs.FirstInvalid(settings.TokenBoundCidrs) is { } badCidr)
            return Invalid($"token_bound_cidrs: '{badCidr}' is not a CIDR block or an address");
        UpsertMetadata(RecordKeys.Auth(RolePrefix + op.Name), settings.ToByteArray());
        UpsertMetadata(RecordKeys.Auth(RoleIdPrefix + settings.RoleId), System.Text.Encoding.UTF8.GetBytes(op.Name));
        return Ok();
    }

    private CommandResult ApplyAppRoleSecretId(Command command, AppRoleSecretIdOp op)
    {
        if (FindAppRole(op.Role) is not { } role)
            return NotFound($"no role {op.Role}");
        if (op.SecretIdHash.Length != 32 || op.Accessor.Length is 0 or > 64)
            return Invalid("secret id record is malformed");
        var path = SecretPath(op.Role, op.SecretIdHash.Span);
        if (current.Metadata.FindAuth(path) is not null)
            return Invalid("secret id exists");
        var now = LogNow(command, op.LogTimeEstimateMs);
        UpsertMetadata(RecordKeys.Auth(path), new AppRoleSecretIdRecord
        {
            Accessor = op.Accessor,
            CreatedUnixMs = now,
            ExpiresUnixMs = role.SecretIdTtlMs > 0 ? now + role.SecretIdTtlMs : 0,
            UsesLeft = role.SecretIdNumUses,
        }.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Version = role.SecretIdTtlMs > 0 ? now + role.SecretIdTtlMs : 0 };
    }

    /// <summary>The message of every refused AppRole login (which part was wrong is not told).</summary>
    public const string InvalidAppRoleCredentials = "invalid role or secret ID";

    private CommandResult ApplyAppRoleLogin(Command command, AppRoleLoginOp op)
    {
        if (current.Metadata.FindAuth(RoleIdPrefix + op.RoleId) is not { } nameBytes
            || FindAppRole(System.Text.Encoding.UTF8.GetString(nameBytes)) is not { } role)
            return Invalid(InvalidAppRoleCredentials);
        var name = System.Text.Encoding.UTF8.GetString(nameBytes);
        if (op.Token is not { } token || token.TokenHash.Length != 32 || token.Accessor.Length is 0 or > 64 || current.Metadata.HashOfAccessor(token.Accessor) is not null)
            return Invalid("token record is malformed");
        var now = LogNow(command, token.LogTimeEstimateMs);
        if (role.BindSecretId)
        {
            if (op.SecretIdHash.Length != 32)
                return Invalid(InvalidAppRoleCredentials);
            var path = SecretPath(name, op.SecretIdHash.Span);
            if (current.Metadata.FindAuth(path) is not { } bytes)
                return Invalid(InvalidAppRoleCredentials);
            var secret = AppRoleSecretIdRecord.Parser.ParseFrom(bytes);
            if (secret.ExpiresUnixMs > 0 && secret.ExpiresUnixMs <= now)
                return Invalid(InvalidAppRoleCredentials);
            if (secret.UsesLeft == 1)
            {
                UpsertMetadata(RecordKeys.Auth(path), []);
            }
            else if (secret.UsesLeft > 1)
            {
                secret.UsesLeft--;
                UpsertMetadata(RecordKeys.Auth(path), secret.ToByteArray());
            }
        }

        var create = new CreateTokenOp
        {
            TokenHash = token.TokenHash,
            Accessor = token.Accessor,
            Name = token.Name.Length > 0 ? token.Name : "approle-" + name,
            Policies = { role.TokenPolicies },
            Renewable = true,
            TtlMs = role.TokenPeriodMs > 0 ? role.TokenPeriodMs : role.TokenTtlMs > 0 ? role.TokenTtlMs : (long)DefaultTokenTtl.TotalMilliseconds,
            // A periodic token has no max TTL: it lives as long as it is renewed within each period.
            MaxTtlMs = role.TokenPeriodMs > 0 ? 0 : role.TokenMaxTtlMs > 0 ? role.TokenMaxTtlMs : (long)DefaultTokenTtl.TotalMilliseconds,
            LogTimeExpiry = true,
            LogTimeEstimateMs = token.LogTimeEstimateMs,
            BoundCidrs = { role.TokenBoundCidrs },
            PeriodMs = role.TokenPeriodMs,
        };
        return ApplyCreateToken(command, create);
    }

    private CommandResult ApplyJwtConfig(JwtConfigOp op)
    {
        if (op.ValidationPubkeys.Count == 0 && op.JwksJson.Length == 0 && op.JwksUrl.Length == 0)
            return Invalid("the JWT config needs jwt_validation_pubkeys, jwks or jwks_url");
        if (op.JwksUrl.Length > 0 && op.JwksJson.Length > 0)
            return Invalid("the JWT config takes jwks or jwks_url, not both");
        UpsertMetadata(RecordKeys.Auth(JwtConfigPath), op.ToByteArray());
        return Ok();
    }

    private CommandResult ApplyJwtRole(JwtRoleOp op)
    {
        if (!IsValidRoleName(op.Name))
            return Invalid("invalid role name");
        if (op.Delete)
        {
            if (FindJwtRole(op.Name) is null)
                return NotFound($"no role {op.Name}");
            UpsertMetadata(RecordKeys.Auth(JwtRolePrefix + op.Name), []);
            return Ok();
        }

        if (op.Settings is null || op.Settings.TokenTtlMs < 0 || op.Settings.TokenMaxTtlMs < 0 || op.Settings.TokenPeriodMs < 0)
            return Invalid("a role needs settings with durations that are not negative");
        if (ConfigCluster.Core.Tokens.BoundCidrs.FirstInvalid(op.Settings.TokenBoundCidrs) is { } badCidr)
            return Invalid($"token_bound_cidrs: '{badCidr}' is not a CIDR block or an address");
        UpsertMetadata(RecordKeys.Auth(JwtRolePrefix + op.Name), op.Settings.ToByteArray());
        return Ok();
    }
}
