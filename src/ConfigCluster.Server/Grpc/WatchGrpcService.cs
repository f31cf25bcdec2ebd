using System.Globalization;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Watch;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>The public Watch service (proto/configcluster/v1/watch.proto).</summary>
public sealed class WatchGrpcService(WatchReader watches, ConfigService config, Acl.AccessGate gate, Limits.StreamLimits limits) : Contracts.V1.Watch.WatchBase
{
    private static readonly TimeSpan DefaultProgressInterval = TimeSpan.FromSeconds(5);

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        if (!WatchFilter.TryCreate(config.Store, request.Namespace, request.Environment, request.Key, request.Prefix, out var filter, out var error))
            throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, error));
        if (request.HasStartRevision && request.StartRevision < 0)
            throw GrpcErrors.ToRpcException(new ConfigError(ConfigErrorCode.InvalidArgument, "start_revision must be 0 or more"));
        var interval = request.ProgressIntervalMs > 0 ? TimeSpan.FromMilliseconds(Math.Max(request.ProgressIntervalMs, 50)) : DefaultProgressInterval;

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
}
