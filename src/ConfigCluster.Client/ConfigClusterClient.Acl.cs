using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    private Contracts.V1.Acl.AclClient AclClient => new(channel);

    /// <summary>Creates a token; its secret is in the answer and nowhere else.</summary>
    public Task<CreateTokenResponse> CreateTokenAsync(string name, IEnumerable<string> policies, TimeSpan? ttl = null, CancellationToken token = default)
    {
        var request = new CreateTokenRequest { Name = name, TtlSeconds = (long)(ttl?.TotalSeconds ?? 0) };
        request.Policies.AddRange(policies);
        // Not retried after an ambiguous outcome: a second attempt would make a second token.
        return RetryAsync(async deadline => await AclClient.CreateTokenAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token);
    }

    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken token = default)
        => (await RetryAsync(async deadline => await AclClient.ListTokensAsync(new ListTokensRequest(), deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token).ConfigureAwait(false)).Tokens;

    public Task RevokeTokenAsync(string accessor, CancellationToken token = default)
        => RetryAsync(async deadline => await AclClient.RevokeTokenAsync(new RevokeTokenRequest { Accessor = accessor }, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);

    public Task PutPolicyAsync(string name, IEnumerable<PolicyRuleSpec> rules, CancellationToken token = default)
    {
        var request = new PutPolicyRequest { Name = name };
        request.Rules.AddRange(rules);
        return RetryAsync(async deadline => await AclClient.PutPolicyAsync(request, deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: true, token);
    }
}
