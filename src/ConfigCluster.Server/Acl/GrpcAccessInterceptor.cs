using ConfigCluster.Contracts.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// The gRPC side of the gate: maps each method to the capability it needs, answers
/// Unauthenticated / PermissionDenied, audits, and makes the caller known to the handler.
/// </summary>
public sealed class GrpcAccessInterceptor(AccessGate gate) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (await AuthorizeAsync(request, context) is { } caller)
            CallerIdentity.Current = caller;
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (await AuthorizeAsync(request, context) is { } caller)
            CallerIdentity.Current = caller;
        await continuation(request, responseStream, context);
    }

    // Null for open methods; throws for refused calls.
    private async ValueTask<CallerIdentity?> AuthorizeAsync(object request, ServerCallContext context)
    {
        var method = context.Method;
        if (method.StartsWith("/configcluster.v1.Cluster/", StringComparison.Ordinal) || method.StartsWith("/configcluster.internal.v1.Peer/", StringComparison.Ordinal)
            || method.StartsWith("/grpc.health", StringComparison.Ordinal))
            return null;

        var bearer = TokenAuthenticator.FromAuthorizationHeader(context.RequestHeaders.GetValue("authorization"));
        var (decision, caller, message) = await gate.CheckAsync(bearer, Describe(method, request), context.CancellationToken);
        context.UserState[AccessMiddleware.BearerItem] = bearer ?? "";
        return decision switch
        {
            AccessDecision.Allowed => caller,
            AccessDecision.Unauthenticated => throw new RpcException(new Status(StatusCode.Unauthenticated, message)),
            AccessDecision.Forbidden => throw new RpcException(new Status(StatusCode.PermissionDenied, message)),
            _ => throw new RpcException(new Status(StatusCode.Unavailable, message)), // AuditFailed
        };
    }

    private static AccessRequest Describe(string method, object request)
    {
        static string S(string? value) => string.IsNullOrEmpty(value) ? "default" : value;
        var name = method[(method.LastIndexOf('/') + 1)..];
        return request switch
        {
            GetRequest r => new("read", Capability.Read, S(r.Path?.Namespace), S(r.Path?.Environment), r.Path?.Key ?? "", r.Version == 0 ? null : r.Version),
            PutRequest r => new("write", Capability.Write, S(r.Path?.Namespace), S(r.Path?.Environment), r.Path?.Key ?? ""),
            DeleteRequest r => new("delete", Capability.Delete, S(r.Path?.Namespace), S(r.Path?.Environment), r.Path?.Key ?? ""),
            RollbackRequest r => new("rollback", Capability.Rollback, S(r.Path?.Namespace), S(r.Path?.Environment), r.Path?.Key ?? "", r.ToVersion),
            HistoryRequest r => new("history", Capability.History, S(r.Path?.Namespace), S(r.Path?.Environment), r.Path?.Key ?? ""),
            ListRequest r => new("list", Capability.List, S(r.Namespace), S(r.Environment), null),
            WatchRequest r => new("watch", Capability.Watch, S(r.Namespace), S(r.Environment), string.IsNullOrEmpty(r.Key) ? null : r.Key),
            GetEnvironmentRequest r => new("environment.read", Capability.List, S(r.Namespace), S(r.Environment), null),
            ListEffectiveRequest r => new("list", Capability.List, S(r.Namespace), S(r.Environment), null),
            DiffRequest r => new("diff", Capability.List, S(r.Namespace), S(r.To), null),
            ChangeSetRequest => new("changeset", Capability.Write, "default", "default", null),
            PromoteRequest r => new("promote", Capability.Write, S(r.Namespace), S(r.To), null),
            _ => new(name, Capability.Admin, "*", "*", null),
        };
    }
}
