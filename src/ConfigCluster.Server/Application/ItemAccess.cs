using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Application;

/// <summary>
/// Per-item access for operations that touch many keys (change-sets, promote, diff, effective
/// lists), for the caller of the current request. The edge has already checked the operation
/// as a whole; this checks each key it touches. Without a caller (internal work such as the
/// seed import) everything is allowed.
/// </summary>
public sealed class ItemAccess(AccessGate gate)
{
    /// <summary>Whether the current caller has <paramref name="capability"/> on one key (for filtered results; not audited).</summary>
    public bool Allows(Capability capability, string ns, string env, string key)
        => CallerIdentity.Current is not { } caller || gate.Allows(caller, capability, ns, env, key);

    /// <summary>Null when every item is allowed; else a refusal naming the first item refused (audited as a deny).</summary>
    public async Task<ConfigError?> RequireAsync(string operation, IEnumerable<ItemAccessRequest> items, CancellationToken token)
    {
        if (CallerIdentity.Current is not { } caller)
            return null;
        var (decision, message) = await gate.CheckItemsAsync(caller, operation, items, token);
        return ToError(decision, message);
    }

    /// <summary>Null when the current caller may have <paramref name="capability"/> somewhere in the scope; else a refusal (audited).</summary>
    public async Task<ConfigError?> RequireScopeAsync(string operation, Capability capability, string ns, string env, CancellationToken token)
    {
        if (CallerIdentity.Current is not { } caller)
            return null;
        var decision = await gate.CheckScopeAsync(caller, operation, capability, ns, env, token);
        return ToError(decision, $"token '{caller.Name}' lacks the '{Capabilities.Name(capability)}' capability in environment '{env}'");
    }

    private static ConfigError? ToError(AccessDecision decision, string message) => decision switch
    {
        AccessDecision.Allowed => null,
        AccessDecision.AuditFailed => new ConfigError(ConfigErrorCode.Unavailable, "the request could not be audited, so it was not served"),
        _ => new ConfigError(ConfigErrorCode.PermissionDenied, message),
    };
}
