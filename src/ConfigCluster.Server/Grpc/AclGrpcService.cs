using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Acl service (proto/configcluster/v1/acl.proto); the interceptor requires admin.</summary>
public sealed class AclGrpcService(AclService acl, ConfigService config) : Contracts.V1.Acl.AclBase
{
    public override async Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context)
    {
        var ttl = request.TtlSeconds > 0 ? TimeSpan.FromSeconds(request.TtlSeconds) : (TimeSpan?)null;
        var created = (await acl.CreateTokenAsync(request.Name, [.. request.Policies], ttl, context.CancellationToken)).OrThrow();
        return new CreateTokenResponse { Token = created.Token, Accessor = created.Accessor, Name = created.Name, ExpiresAtUnixMs = created.ExpiresAt?.ToUnixTimeMilliseconds() ?? 0 };
    }

    public override Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context)
    {
        var response = new ListTokensResponse();
        foreach (var token in config.Store.Tokens())
        {
            response.Tokens.Add(new TokenInfo
            {
                Accessor = token.Accessor,
                Name = token.Name,
                Policies = { token.Policies },
                ExpiresAtUnixMs = token.ExpiresAt?.ToUnixTimeMilliseconds() ?? 0,
                Revoked = token.Revoked,
            });
        }

        return Task.FromResult(response);
    }

    public override async Task<RevokeTokenResponse> RevokeToken(RevokeTokenRequest request, ServerCallContext context)
    {
        if (await acl.RevokeAsync(request.Accessor, context.CancellationToken) is { } error)
            throw GrpcErrors.ToRpcException(error);
        return new RevokeTokenResponse();
    }

    public override async Task<PutPolicyResponse> PutPolicy(PutPolicyRequest request, ServerCallContext context)
    {
        var rules = request.Rules.Select(static r => new Core.Commands.PolicyRule
        {
            Path = r.Path.Length == 0 ? "*" : r.Path,
            Namespace = r.Namespace.Length == 0 ? "*" : r.Namespace,
            Environment = r.Environment.Length == 0 ? "*" : r.Environment,
            Capabilities = { r.Capabilities },
            Deny = r.Deny,
        });
        if (await acl.PutPolicyAsync(request.Name, rules, context.CancellationToken) is { } error)
            throw GrpcErrors.ToRpcException(error);
        return new PutPolicyResponse();
    }
}
