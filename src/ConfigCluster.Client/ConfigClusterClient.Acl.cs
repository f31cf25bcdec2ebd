using ConfigCluster.Contracts.V1;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    /// <summary>Creates a token; its secret is in the answer and nowhere else.</summary>
    /// <exception cref="ConfigAmbiguousWriteException">The outcome is unknown; not re-sent, since a second attempt would make a second token.</exception>
    public Task<CreateTokenResponse> CreateTokenAsync(string name, IEnumerable<string> policies, TimeSpan? ttl = null, CancellationToken token = default)
    {
        var request = new CreateTokenRequest { Name = name, TtlSeconds = (long)(ttl?.TotalSeconds ?? 0) };
        request.Policies.AddRange(policies);
        return WriteAsync("CreateToken", CallKind.OnceWrite, deadline => AclClient.CreateTokenAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }

    /// <summary>Accessors, names and policies of every token (never the tokens themselves).</summary>
    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken token = default)
        => (await ReadAsync("ListTokens", deadline => AclClient.ListTokensAsync(new ListTokensRequest(), deadline: deadline, cancellationToken: token).ResponseAsync, token).ConfigureAwait(false)).Tokens;

    /// <summary>Revokes a token on every node (repeating it is harmless).</summary>
    public Task RevokeTokenAsync(string accessor, CancellationToken token = default)
        => WriteAsync("RevokeToken", CallKind.IdempotentWrite, deadline => AclClient.RevokeTokenAsync(new RevokeTokenRequest { Accessor = accessor }, deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <summary>Creates or replaces a policy (repeating it is harmless).</summary>
    public Task PutPolicyAsync(string name, IEnumerable<PolicyRuleSpec> rules, CancellationToken token = default)
    {
        var request = new PutPolicyRequest { Name = name };
        request.Rules.AddRange(rules);
        return WriteAsync("PutPolicy", CallKind.IdempotentWrite, deadline => AclClient.PutPolicyAsync(request, deadline: deadline, cancellationToken: token).ResponseAsync, token);
    }
}
