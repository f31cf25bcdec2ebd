using Grpc.Core;
using Grpc.Core.Interceptors;

namespace ConfigCluster.Server.Acl;

/// <summary>
/// The gRPC side of the gate: looks the method up in <see cref="GrpcAccessTable"/>, answers
/// Unauthenticated / PermissionDenied, audits, and makes the caller known to the handler.
/// Streamed requests (client or bidirectional streaming) have no message to look into when the
/// call starts, so such methods need what the table declares for opening them (WatchMany: the
/// watch capability somewhere; its handler checks each create), else <c>admin</c>, unless they are open.
/// </summary>
public sealed class GrpcAccessInterceptor(AccessGate gate) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        CallerIdentity.Current = await AuthorizeAsync(request, context);
        return await continuation(request, context);
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        CallerIdentity.Current = await AuthorizeAsync(request, context);
        await continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        CallerIdentity.Current = await AuthorizeAsync(null, context);
        return await continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        CallerIdentity.Current = await AuthorizeAsync(null, context);
        await continuation(requestStream, responseStream, context);
    }

    /// <summary>
    /// The call's bearer token, read from the HTTP/2 request's headers: reading it through
    /// <see cref="ServerCallContext.RequestHeaders"/> would build (and keep, for the call's life) a
    /// copy of every header, and a long watch holds its call for hours.
    /// </summary>
    public static string? Bearer(ServerCallContext context)
        => TokenAuthenticator.FromAuthorizationHeader(context.GetHttpContext().Request.Headers.Authorization);

    // Null for open methods; throws for refused calls. The handler sets the caller: an async
    // local set in here would not flow back out to the continuation.
    private async ValueTask<CallerIdentity?> AuthorizeAsync(object? request, ServerCallContext context)
    {
        if (GrpcAccessTable.IsOpen(context.Method))
            return null;

        var bearer = Bearer(context);
        var (decision, caller, message) = await gate.CheckAsync(bearer, context.GetHttpContext().Connection.RemoteIpAddress, GrpcAccessTable.Describe(context.Method, request), context.CancellationToken);
        return decision switch
        {
            AccessDecision.Allowed => caller,
            AccessDecision.Unauthenticated => throw new RpcException(new Status(StatusCode.Unauthenticated, message)),
            AccessDecision.Forbidden => throw new RpcException(new Status(StatusCode.PermissionDenied, message)),
            _ => throw new RpcException(new Status(StatusCode.Unavailable, message)),
        };
    }
}
