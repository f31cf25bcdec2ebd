using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// Decides what a caller may do: default deny; a rule grants its capabilities on keys,
/// namespaces and environments matching its patterns; a matching deny rule wins. The built-in
/// policy <c>root</c> (the bootstrap token's) grants everything.
/// </summary>
public sealed class PolicyEvaluator(IVersionedStore store)
{
    public const string RootPolicy = "root";

    public bool IsAllowed(CallerIdentity caller, Capability capability, string ns, string env, string key)
    {
        var allowed = false;
        foreach (var policyName in caller.Policies)
        {
            if (policyName == RootPolicy)
            {
                allowed = true;
                continue;
            }

            if (store.FindPolicy(policyName) is not { } policy)
                continue;
            foreach (var rule in policy.Rules)
            {
                if (!Matches(rule, ns, env, key) || !Grants(rule, capability))
                    continue;
                if (rule.Deny)
                    return false;
                allowed = true;
            }
        }

        return allowed;
    }

    /// <summary>True when some rule could grant <paramref name="capability"/> in the scope (for filtered lists and watches).</summary>
    public bool MayHaveAny(CallerIdentity caller, Capability capability, string ns, string env)
    {
        foreach (var policyName in caller.Policies)
        {
            if (policyName == RootPolicy)
                return true;
            if (store.FindPolicy(policyName)?.Rules.Any(rule => !rule.Deny && Grants(rule, capability) && GlobPattern.IsMatch(rule.Namespace, ns) && GlobPattern.IsMatch(rule.Environment, env)) == true)
                return true;
        }

        return false;
    }

    /// <summary>True when some rule grants <paramref name="capability"/> in any namespace or environment.</summary>
    public bool MayHaveAnywhere(CallerIdentity caller, Capability capability)
    {
        foreach (var policyName in caller.Policies)
        {
            if (policyName == RootPolicy)
                return true;
            if (store.FindPolicy(policyName)?.Rules.Any(rule => !rule.Deny && Grants(rule, capability)) == true)
                return true;
        }

        return false;
    }

    private static bool Matches(PolicyRule rule, string ns, string env, string key)
        => GlobPattern.IsMatch(rule.Path, key) && GlobPattern.IsMatch(rule.Namespace, ns) && GlobPattern.IsMatch(rule.Environment, env);

    private static bool Grants(PolicyRule rule, Capability capability)
        => rule.Capabilities.Any(name => name == "*" || (Capabilities.TryParse(name, out var granted) && granted == capability));
}
