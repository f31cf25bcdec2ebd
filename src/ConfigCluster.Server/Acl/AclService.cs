using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using Google.Protobuf;

namespace ConfigCluster.Server.Acl;

/// <summary>A newly created token: the secret is shown here, once, and never stored.</summary>
public sealed record CreatedToken(string Token, string Accessor, string Name, DateTimeOffset? ExpiresAt);

/// <summary>Tokens and policies, changed through the log so every node agrees at once.</summary>
public sealed class AclService(ConfigService config, TimeProvider clock)
{
    private readonly Auth.LogClock logClock = new(config.Store, clock);

    /// <summary>A random 256-bit token, URL-safe base64.</summary>
    public static string NewToken() => "cc_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <param name="period">A periodic token (Vault's <c>period</c>): lives one period at a time, renewable, no max TTL; <paramref name="ttl"/> must then be null.</param>
    public async Task<Outcome<CreatedToken>> CreateTokenAsync(string name, IReadOnlyList<string> policies, TimeSpan? ttl, CancellationToken token, string? secret = null, bool bootstrap = false, bool renewable = false, TimeSpan? period = null)
    {
        if (period is { } p && (p <= TimeSpan.Zero || ttl is not null))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "period must be positive, and a periodic token takes no ttl");
        // A periodic token's lifetime is its period (renewals extend by it at apply).
        ttl = period ?? ttl;
        renewable |= period is not null;
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || name.Any(char.IsControl))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "a token needs a name of 1 to 128 printable characters (the service identity)");
        if (policies.Any(static p => string.IsNullOrWhiteSpace(p) || p.Any(char.IsControl)))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "policy names must be printable and not empty");
        if (ttl is { } t && t <= TimeSpan.Zero)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "ttl must be positive");
        secret ??= NewToken();
        var accessor = Base64Url(RandomNumberGenerator.GetBytes(12));
        var expires = ttl is { } life ? clock.GetUtcNow() + life : (DateTimeOffset?)null;
        var command = config.NewCommand(null);
        command.CreateToken = new CreateTokenOp
        {
            TokenHash = ByteString.CopyFrom(TokenAuthenticator.Hash(secret)),
            Accessor = accessor,
            Name = name,
            Policies = { policies },
            ExpiresUnixMs = expires?.ToUnixTimeMilliseconds() ?? 0,
            Bootstrap = bootstrap,
            Renewable = renewable && ttl is not null,
            TtlMs = ttl is { } lifetime ? (long)lifetime.TotalMilliseconds : 0,
            // The expiry is set at apply from the log clock (ExpiresUnixMs stays for older nodes).
            LogTimeExpiry = ttl is not null,
            LogTimeEstimateMs = logClock.Now().ToUnixTimeMilliseconds(),
            PeriodMs = period is { } every ? (long)every.TotalMilliseconds : 0,
        };
        var outcome = await config.SubmitRawAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        if (outcome.Value!.Code != ResultCode.ResultOk)
            return new ConfigError(ConfigErrorCode.InvalidArgument, outcome.Value.Message);
        if (bootstrap && outcome.Value.Message.Length > 0)
            return new ConfigError(ConfigErrorCode.VersionMismatch, outcome.Value.Message);
        if (await config.CatchUpAsync(token) is { } barrierError)
            return barrierError;
        return new CreatedToken(secret, accessor, name, config.Store.FindToken(TokenAuthenticator.Hash(secret))?.ExpiresAt ?? expires);
    }

    public async Task<ConfigError?> RevokeAsync(string accessor, CancellationToken token)
    {
        var command = config.NewCommand(null);
        command.RevokeToken = new RevokeTokenOp { Accessor = accessor };
        return await SubmitAsync(command, token);
    }

    /// <summary>
    /// Extends a renewable token to now + <paramref name="increment"/> (judged again at apply, by the
    /// command's timestamp); returns the new expiry.
    /// </summary>
    public async Task<Outcome<DateTimeOffset>> RenewAsync(string accessor, byte[] tokenHash, TimeSpan increment, CancellationToken token)
    {
        if (increment <= TimeSpan.Zero)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "the increment must be positive");
        var command = config.NewCommand(null);
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(command.TimestampUnixMs) + increment;
        // Apply extends from the log clock by increment_ms, capped at the token's max TTL;
        // expires_unix_ms is what an older node applies.
        command.RenewToken = new RenewTokenOp { Accessor = accessor, ExpiresUnixMs = expires.ToUnixTimeMilliseconds(), IncrementMs = (long)increment.TotalMilliseconds, LogTimeEstimateMs = logClock.Now().ToUnixTimeMilliseconds() };
        if (await SubmitAsync(command, token) is { } error)
            return error;
        return config.Store.FindToken(tokenHash)?.ExpiresAt ?? expires;
    }

    public async Task<ConfigError?> PutPolicyAsync(string name, IEnumerable<PolicyRule> rules, CancellationToken token)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || name.Any(char.IsControl))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "a policy needs a name of 1 to 128 printable characters");
        foreach (var rule in rules)
        {
            foreach (var capability in rule.Capabilities)
            {
                if (capability != "*" && !Capabilities.TryParse(capability, out _))
                    return new ConfigError(ConfigErrorCode.InvalidArgument, $"unknown capability '{capability}' (read, list, write, delete, history, rollback, watch, admin)");
            }
        }

        if (name == PolicyEvaluator.RootPolicy)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "the root policy is built in");
        var command = config.NewCommand(null);
        command.PutPolicy = new PutPolicyOp { Name = name, Rules = { rules } };
        return await SubmitAsync(command, token);
    }

    private async Task<ConfigError?> SubmitAsync(Command command, CancellationToken token)
    {
        var outcome = await config.SubmitRawAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return outcome.Value!.Code switch
        {
            ResultCode.ResultOk => await config.CatchUpAsync(token),
            ResultCode.ResultNotFound => new ConfigError(ConfigErrorCode.NotFound, outcome.Value.Message),
            _ => new ConfigError(ConfigErrorCode.InvalidArgument, outcome.Value.Message),
        };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
