using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;
using Google.Protobuf;

namespace ConfigCluster.Server.Auth;

/// <summary>A token issued by a machine login; the token is shown here, once, and never stored.</summary>
public sealed record IssuedToken(string Token, string Accessor, IReadOnlyList<string> Policies, long LeaseSeconds, bool Renewable);

/// <summary>A new AppRole secret id; shown once, only its hash is stored.</summary>
public sealed record IssuedSecretId(string SecretId, string Accessor, long TtlSeconds, long NumUses);

/// <summary>
/// Machine login (AppRole and JWT/Kubernetes): roles and config change through the log; a login
/// issues a token through the log with the role's policies and TTLs, its expiry set at apply from
/// the log clock. Secret ids and tokens travel as SHA-256 hashes only.
/// </summary>
public sealed partial class MachineLogin(ConfigService config, LogClock clock, JwksFetcher jwks)
{
    /// <summary>The store (roles and config are read from memory).</summary>
    public IVersionedStore Store => config.Store;

    /// <summary>Now, by the log clock.</summary>
    public DateTimeOffset Now() => clock.Now();

    private static string RandomId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) is var hex
        ? $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}"
        : "";

    // Submits an administrative command; NotFound and Invalid come back as errors.
    private async Task<Outcome<CommandResult>> SubmitAsync(Command command, CancellationToken token)
    {
        var outcome = await config.SubmitRawAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return outcome.Value!.Code switch
        {
            ResultCode.ResultOk => await config.CatchUpAsync(token) is { } barrier ? barrier : outcome,
            ResultCode.ResultNotFound => new ConfigError(ConfigErrorCode.NotFound, outcome.Value.Message),
            // A member's format is not known yet (it is down or an older build): try again later, 503.
            ResultCode.ResultNotEnabled => new ConfigError(ConfigErrorCode.Unavailable, outcome.Value.Message),
            _ => new ConfigError(ConfigErrorCode.InvalidArgument, outcome.Value.Message),
        };
    }

    // A fresh token's secret and its record for a CreateTokenOp (policies and TTLs filled in by the caller or at apply).
    private (string Secret, CreateTokenOp Op) NewToken(string name)
    {
        var secret = AclService.NewToken();
        return (secret, new CreateTokenOp
        {
            TokenHash = ByteString.CopyFrom(TokenAuthenticator.Hash(secret)),
            Accessor = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            Name = name,
            LogTimeEstimateMs = clock.Now().ToUnixTimeMilliseconds(),
        });
    }

    // The issued token as applied: its policies and the seconds left, judged by the log clock.
    private Outcome<IssuedToken> Issued(string secret, string accessor)
    {
        if (config.Store.FindToken(TokenAuthenticator.Hash(secret)) is not { } stored)
            return new ConfigError(ConfigErrorCode.Unavailable, "the token was created but this node has not applied it yet; try again");
        var ttl = stored.Ttl?.TotalSeconds ?? 0;
        var left = stored.ExpiresAt is { } expires ? Math.Round((expires - clock.Now()).TotalSeconds) : 0;
        return new IssuedToken(secret, accessor, stored.Policies, (long)Math.Max(0, Math.Min(ttl, left)), stored.Renewable);
    }
}
