using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Auth;

public sealed partial class MachineLogin
{
    /// <summary>Sets the JWT config after checking that its keys can be read.</summary>
    /// <remarks>With a <c>jwks_url</c>, the key set is fetched now (so a wrong URL or CA is refused here, not at the first login).</remarks>
    public async Task<ConfigError?> PutJwtConfigAsync(JwtConfigOp op, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (op.JwksUrl.Length > 0 && op.JwksJson.Length > 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "give jwks or jwks_url, not both");
        var (jwks, fetchError) = await KeySetAsync(op, fresh: true, token);
        if (fetchError is not null)
            return new ConfigError(ConfigErrorCode.InvalidArgument, fetchError);
        var (keys, problem) = JwtKeys.Load(op.ValidationPubkeys, jwks);
        keys?.Dispose();
        if (problem is not null)
            return new ConfigError(ConfigErrorCode.InvalidArgument, problem);
        var command = config.NewCommand(null);
        command.JwtConfig = op;
        return (await SubmitAsync(command, token)).Error;
    }

    /// <summary>Creates, updates or deletes (<paramref name="settings"/> null) a JWT role.</summary>
    public async Task<ConfigError?> PutJwtRoleAsync(string name, JwtRoleSettings? settings, CancellationToken token)
    {
        var command = config.NewCommand(null);
        command.JwtRole = settings is null ? new JwtRoleOp { Name = name, Delete = true } : new JwtRoleOp { Name = name, Settings = settings };
        return (await SubmitAsync(command, token)).Error;
    }

    /// <summary>
    /// Logs in with a JWT for <paramref name="role"/>: the signature is checked offline against the
    /// configured keys and the claims against the config and role, time judged by the log clock;
    /// then a token with the role's policies and TTLs is created through the log.
    /// </summary>
    public async Task<Outcome<IssuedToken>> JwtLoginAsync(string role, string jwt, CancellationToken token)
    {
        if (config.Store.JwtConfig() is not { } jwtConfig)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "the JWT auth method is not configured");
        if (config.Store.FindJwtRole(role) is not { } settings)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"role \"{role}\" could not be found");
        var (jwks, fetchError) = await KeySetAsync(jwtConfig, fresh: false, token);
        if (fetchError is not null)
            return new ConfigError(ConfigErrorCode.InvalidArgument, fetchError);
        var (keys, problem) = JwtKeys.Load(jwtConfig.ValidationPubkeys, jwks);
        if (problem is not null)
            return new ConfigError(ConfigErrorCode.InvalidArgument, problem);
        string user;
        using (keys)
        {
            var (claims, invalid) = JwtVerifier.Verify(jwt, keys!);
            if (invalid is not null)
                return new ConfigError(ConfigErrorCode.InvalidArgument, invalid);
            using (claims)
            {
                var (name, refused) = JwtClaimRules.Check(claims!.RootElement, jwtConfig, settings, clock.Now());
                if (refused is not null)
                    return new ConfigError(ConfigErrorCode.InvalidArgument, refused);
                user = name!;
            }
        }

        var displayName = "jwt-" + (user.Length > 100 ? user[..100] : user);
        if (displayName.Any(char.IsControl))
            return new ConfigError(ConfigErrorCode.InvalidArgument, "the user claim holds control characters");
        var (secret, create) = NewToken(displayName);
        create.Policies.Add(settings.TokenPolicies);
        create.Renewable = true;
        create.TtlMs = settings.TokenPeriodMs > 0 ? settings.TokenPeriodMs
            : settings.TokenTtlMs > 0 ? settings.TokenTtlMs : (long)Storage.FasterVersionedStore.DefaultTokenTtl.TotalMilliseconds;
        // A periodic token has no max TTL: it lives as long as it is renewed within each period.
        create.MaxTtlMs = settings.TokenPeriodMs > 0 ? 0
            : settings.TokenMaxTtlMs > 0 ? settings.TokenMaxTtlMs : (long)Storage.FasterVersionedStore.DefaultTokenTtl.TotalMilliseconds;
        create.PeriodMs = settings.TokenPeriodMs;
        create.BoundCidrs.Add(settings.TokenBoundCidrs);
        create.LogTimeExpiry = true;
        // What a node that predates log-time expiry applies (it ignores the fields above).
        create.ExpiresUnixMs = create.LogTimeEstimateMs + create.TtlMs;
        var command = config.NewCommand(null);
        command.CreateToken = create;
        var outcome = await SubmitAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return Issued(secret, create.Accessor);
    }

    // The inline key set, or the one at jwks_url (fetched, or from this node's cache).
    private async Task<(string? Json, string? Error)> KeySetAsync(JwtConfigOp jwtConfig, bool fresh, CancellationToken token)
        => jwtConfig.JwksUrl.Length == 0 ? (jwtConfig.JwksJson, null) : await jwks.GetAsync(jwtConfig.JwksUrl, jwtConfig.JwksCaPem, fresh, token);
}
