using System.Threading.Channels;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Limits;
using ConfigCluster.Server.Watch;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

// One watch of the stream: admitted as a Watch call is (access checked and audited, request
// validated, a place under the token's watch limit), then the same reader, its items queued
// for the stream's writer.
internal sealed partial class WatchManyStream
{
    private async Task PumpAsync(long id, OpenWatch watch, WatchManyRequest request)
    {
        WatchManyResponse? last;
        try
        {
            last = await ServeAsync(id, watch, request);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not expected: the watch ends, the stream and its other watches go on.
            Log.WatchFailed(service.Logger, id, e);
            last = Error(id, StatusCode.Internal, "the watch failed on the node; open it again");
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the client (answered), or the stream ended (nobody to answer).
            bool cancelled;
            lock (open)
                cancelled = watch.CancelRequested;
            last = cancelled ? new WatchManyResponse { WatchId = id, Canceled = new WatchCanceled() } : null;
        }

        // Free the id before its last message: once the client reads it, the id may be reused.
        lock (open)
            open.Remove(id);
        try
        {
            if (last is not null)
                await outbox.Writer.WriteAsync(last, stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The stream ended: nobody is left to tell.
        }
        finally
        {
            PumpFinished();
        }
    }

    // The watch's last message (an error), or null when the stream ended; throws
    // OperationCanceledException once the watch is stopped.
    private async Task<WatchManyResponse?> ServeAsync(long id, OpenWatch watch, WatchManyRequest request)
    {
        var token = watch.Token;
        var watchRequest = request.Create.Watch ?? new WatchRequest();
        var (decision, caller, message) = await service.Gate.CheckAsync(bearer, source, GrpcAccessTable.Describe(context.Method, request), token);
        if (decision != AccessDecision.Allowed)
        {
            var code = decision switch
            {
                AccessDecision.Unauthenticated => StatusCode.Unauthenticated,
                AccessDecision.Forbidden => StatusCode.PermissionDenied,
                _ => StatusCode.Unavailable,
            };
            return Error(id, code, message);
        }

        if (!WatchGrpcService.TryValidate(service.Config, watchRequest, out var filter, out var error))
            return Error(id, StatusCode.InvalidArgument, error);
        using var place = service.Limits.TryEnter(LimitKind.Watches, caller);
        if (place is null)
        {
            LimitRejection.Count(LimitScope.Token, LimitKind.Watches, grpc: true);
            return Error(id, StatusCode.ResourceExhausted, LimitRejection.Message(LimitScope.Token, LimitKind.Watches, StreamLimits.RetryAfter));
        }

        long? start = watchRequest.HasStartRevision ? watchRequest.StartRevision : null;
        var delivered = start ?? 0;
        try
        {
            await outbox.Writer.WriteAsync(new WatchManyResponse { WatchId = id, Created = new WatchCreated() }, token);
            var access = caller is null ? null : new WatchAccess(caller, bearer, service.Gate);
            await foreach (var item in service.Watches.ReadAsync(filter, start, WatchGrpcService.ProgressInterval(watchRequest), token, access))
            {
                var update = new WatchResponse { Revision = item.Revision, Progress = item.Change is null };
                if (item.Change is { } change)
                    update.Events.Add(KvGrpcService.ToKeyValue(change, revealValue: false));
                await outbox.Writer.WriteAsync(new WatchManyResponse { WatchId = id, Update = update }, token);
                delivered = item.Revision;
            }

            return null; // not reached: a watch's items never end on their own
        }
        catch (ChannelClosedException)
        {
            return null;
        }
        catch (WatchCompactedException e)
        {
            return Error(id, StatusCode.OutOfRange, e.Message, oldestRevision: e.OldestRevision);
        }
        catch (WatchEndedException e)
        {
            return e.Reason switch
            {
                WatchEndReason.AccessRevoked => Error(id, StatusCode.Unauthenticated, "the watcher's token was revoked or has expired"),
                WatchEndReason.Overflow => Error(id, StatusCode.ResourceExhausted, $"the watcher fell behind; resume from revision {delivered}", resumeRevision: delivered),
                _ => Error(id, StatusCode.Unavailable, $"the watch was ended ({e.Reason}); resume from revision {delivered}", resumeRevision: delivered),
            };
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7400, Level = LogLevel.Error, Message = "WatchMany: watch {WatchId} failed; it was ended with INTERNAL, the stream goes on")]
        public static partial void WatchFailed(ILogger logger, long watchId, Exception exception);
    }
}
