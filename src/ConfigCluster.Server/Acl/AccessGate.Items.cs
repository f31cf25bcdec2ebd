namespace ConfigCluster.Server.Acl;

/// <summary>One key a multi-key operation touches and what it needs on it.</summary>
public sealed record ItemAccessRequest(Capability Capability, string Namespace, string Environment, string Key);

public sealed partial class AccessGate
{
    /// <summary>
    /// Checks every item of a multi-key operation (change-set, promote) for <paramref name="caller"/>.
    /// The first item refused is audited as a deny and named in the answer; nothing is checked after it.
    /// </summary>
    public async ValueTask<(AccessDecision Decision, string Message)> CheckItemsAsync(CallerIdentity caller, string operation, IEnumerable<ItemAccessRequest> items, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            if (policies.IsAllowed(caller, item.Capability, item.Namespace, item.Environment, item.Key))
                continue;
            var message = $"token '{caller.Name}' lacks the '{Capabilities.Name(item.Capability)}' capability on '{item.Key}' in environment '{item.Environment}'";
            return (await AuditDenyAsync(caller, operation, item.Namespace, item.Environment, item.Key, token) ?? AccessDecision.Forbidden, message);
        }

        return (AccessDecision.Allowed, "");
    }

    /// <summary>
    /// Checks that <paramref name="caller"/> may have <paramref name="capability"/> on some key of
    /// a scope (a diff's second environment); a refusal is audited as a deny.
    /// </summary>
    public async ValueTask<AccessDecision> CheckScopeAsync(CallerIdentity caller, string operation, Capability capability, string ns, string env, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (policies.MayHaveAny(caller, capability, ns, env))
            return AccessDecision.Allowed;
        return await AuditDenyAsync(caller, operation, ns, env, null, token) ?? AccessDecision.Forbidden;
    }

    // Null once the deny is on record; AuditFailed when it could not be written.
    private async ValueTask<AccessDecision?> AuditDenyAsync(CallerIdentity caller, string operation, string ns, string env, string? key, CancellationToken token)
    {
        try
        {
            await audit.WriteAsync(new AuditRecord(clock.GetUtcNow(), settings.NodeId, caller.Name, caller.Accessor, operation, key, ns, env, "deny", null), token);
        }
        catch (IOException e)
        {
            Log.AuditFailed(logger, e.Message);
            return AccessDecision.AuditFailed;
        }

        Observability.ServerMeters.AccessDecisions.Add(1, new KeyValuePair<string, object?>("decision", "deny"));
        return null;
    }
}
