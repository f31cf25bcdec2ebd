using ConfigCluster.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client.Watching;

/// <summary>
/// Keeps one logical watch alive across streams: when a stream breaks (the node died, ended it
/// with UNAVAILABLE or RESOURCE_EXHAUSTED, or went silent past the idle timeout) a new one is
/// opened, on whichever node the balancer picks, from the cursor's resume revision. Failures
/// that a new stream cannot fix (OUT_OF_RANGE, bad request, access) end the watch.
/// </summary>
internal sealed class ResumableWatch(
    Func<WatchRequest, CancellationToken, AsyncServerStreamingCall<WatchResponse>> open,
    WatchRequest template,
    Func<ConfigChange, Task> onChange,
    ConfigClusterClientOptions options,
    ILogger logger,
    WatchHealth? health = null)
{
    private readonly TimeSpan idleTimeout = TimeSpan.FromTicks(Math.Max(options.WatchProgressInterval.Ticks * 5, TimeSpan.FromSeconds(5).Ticks));

    /// <summary>The target's name in logs.</summary>
    private string Target => template.Key.Length > 0 ? template.Key : template.Prefix + "*";

    /// <summary>Runs until <paramref name="token"/> is cancelled (then returns) or a failure that cannot be resumed (then throws).</summary>
    /// <exception cref="ConfigCompactedException">The cursor's revision is no longer kept by the cluster.</exception>
    /// <exception cref="ConfigClusterException">The request is invalid or not allowed.</exception>
    public async Task RunAsync(WatchCursor cursor, CancellationToken token)
    {
        var backoff = options.RetryBackoff;
        while (!token.IsCancellationRequested)
        {
            string reason;
            try
            {
                if (await ReadStreamAsync(cursor, token).ConfigureAwait(false))
                    backoff = options.RetryBackoff;
                reason = "the stream ended";
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                reason = $"no message for {idleTimeout.TotalSeconds:0} s";
            }
            catch (RpcException e) when (IsFinal(e.StatusCode))
            {
                throw FailureClassifier.Translate(e);
            }
            catch (RpcException e)
            {
                reason = e.StatusCode.ToString();
            }

            health?.Down();
            var delay = CallRetrier.Jitter(backoff);
            ClientLog.WatchResuming(logger, Target, reason, cursor.ResumeAfter, (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, options.TimeProvider, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxRetryBackoff.Ticks));
        }
    }

    /// <summary>Reads one stream to its end; true when it delivered at least one message.</summary>
    private async Task<bool> ReadStreamAsync(WatchCursor cursor, CancellationToken token)
    {
        var request = template.Clone();
        request.StartRevision = cursor.ResumeAfter;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        idle.CancelAfter(idleTimeout);
        using var call = open(request, idle.Token);
        var any = false;
        while (await call.ResponseStream.MoveNext(idle.Token).ConfigureAwait(false))
        {
            idle.CancelAfter(idleTimeout);
            health?.Up();
            any = true;
            var response = call.ResponseStream.Current;
            foreach (var change in response.Events)
            {
                if (cursor.Accept(change.Revision, change.Path?.Environment ?? "", change.Path?.Key ?? ""))
                    await onChange(ConfigChange.From(change)).ConfigureAwait(false);
            }

            // A progress message, or a revision above this message's events, vouches that
            // everything up to it was sent; an event's own revision does not (a change-set may
            // continue in the next message).
            if (response.Progress || response.Revision > cursor.LastRevision)
                cursor.Complete(response.Revision);
        }

        return any;
    }

    private static bool IsFinal(StatusCode code) => code is StatusCode.OutOfRange or StatusCode.InvalidArgument or StatusCode.PermissionDenied
        or StatusCode.Unauthenticated or StatusCode.NotFound or StatusCode.Unimplemented or StatusCode.FailedPrecondition;
}
