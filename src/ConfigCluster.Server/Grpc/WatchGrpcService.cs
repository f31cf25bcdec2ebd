using System.Globalization;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Watch;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Watch service (proto/configcluster/v1/watch.proto).</summary>
public sealed class WatchGrpcService(WatchReader watches, ConfigService config, Acl.AccessGate gate, Limits.StreamLimits limits, WatchManyService many) : Contracts.V1.Watch.WatchBase
{
    private static readonly TimeSpan DefaultProgressInterval = TimeSpan.FromSeconds(5);

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        if (!TryValidate(config, request, out var filter, out var error))
            throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error));
        var interval = ProgressInterval(request);

        using var place = limits.TryEnter(Limits.LimitKind.Watches, Acl.CallerIdentity.Current);
        if (place is null)
        {
            Limits.LimitRejection.Count(Limits.LimitScope.Token, Limits.LimitKind.Watches, grpc: true);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, Limits.LimitRejection.Message(Limits.LimitScope.Token, Limits.LimitKind.Watches, Limits.StreamLimits.RetryAfter)),
                new Metadata { { "retry-after", "1" } });
        }

        long delivered = request.HasStartRevision ? request.StartRevision : 0;
        try
        {
            var access = WatchAccess.ForCurrentCaller(Acl.GrpcAccessInterceptor.Bearer(context) ?? "", gate);
            await foreach (var item in watches.ReadAsync(filter, request.HasStartRevision ? request.StartRevision : null, interval, context.CancellationToken, access))
            {
                var response = new WatchResponse { Revision = item.Revision, Progress = item.Change is null };
                if (item.Change is { } change)
                    response.Events.Add(KvGrpcService.ToKeyValue(change, revealValue: false));
                await responseStream.WriteAsync(response, context.CancellationToken);
                delivered = item.Revision;
            }
        }
        catch (WatchCompactedException e)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange, e.Message), new Metadata { { "cc-oldest-revision", e.OldestRevision.ToString(CultureInfo.InvariantCulture) } });
        }
        catch (WatchEndedException e)
        {
            var trailers = new Metadata { { "cc-resume-revision", delivered.ToString(CultureInfo.InvariantCulture) } };
            if (e.Reason == WatchEndReason.AccessRevoked)
                throw new RpcException(new Status(StatusCode.Unauthenticated, "the watcher's token was revoked or has expired"));
            throw e.Reason == WatchEndReason.Overflow
                ? new RpcException(new Status(StatusCode.ResourceExhausted, $"the watcher fell behind; resume from revision {delivered}"), trailers)
                : new RpcException(new Status(StatusCode.Unavailable, $"the watch was ended ({e.Reason}); resume from revision {delivered}"), trailers);
        }
    }

    /// <inheritdoc/>
    public override Task WatchMany(IAsyncStreamReader<WatchManyRequest> requestStream, IServerStreamWriter<WatchManyResponse> responseStream, ServerCallContext context)
        => many.RunAsync(requestStream, responseStream, context);

    /// <summary>A watch request's filter, or why it is invalid (INVALID_ARGUMENT), for Watch and WatchMany alike.</summary>
    internal static bool TryValidate(ConfigService config, WatchRequest request, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WatchFilter? filter,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        if (!WatchFilter.TryCreate(config.Store, request.Namespace, request.Environment, request.Key, request.Prefix, out filter, out error))
            return false;
        if (request.HasStartRevision && request.StartRevision < 0)
        {
            filter = null;
            error = "start_revision must be 0 or more";
            return false;
        }

        return true;
    }

    /// <summary>How often an idle watch gets a progress mark: the request's interval (at least 50 ms), else 5 s.</summary>
    internal static TimeSpan ProgressInterval(WatchRequest request)
        => request.ProgressIntervalMs > 0 ? TimeSpan.FromMilliseconds(Math.Max(request.ProgressIntervalMs, 50)) : DefaultProgressInterval;
}
