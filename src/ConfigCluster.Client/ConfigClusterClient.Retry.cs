using Grpc.Core;

namespace ConfigCluster.Client;

public sealed partial class ConfigClusterClient
{
    /// <summary>
    /// Runs a call until it succeeds, fails for good, or the operation timeout passes. Transient
    /// failures (no leader, node down, ambiguous write outcome) are retried with backoff; the
    /// load balancer picks a healthy node for each attempt. Writes carry one request id across
    /// attempts, so a write that did land the first time is not applied twice.
    /// </summary>
    internal async Task<T> RetryAsync<T>(Func<DateTime, Task<T>> call, bool isWrite, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + options.OperationTimeout;
        var backoff = options.RetryBackoff;
        while (true)
        {
            try
            {
                return await call(deadline).ConfigureAwait(false);
            }
            catch (RpcException e) when (IsTransient(e, isWrite) && DateTime.UtcNow < deadline && !token.IsCancellationRequested)
            {
                await Task.Delay(backoff, token).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
            }
            catch (RpcException e)
            {
                throw Translate(e);
            }
        }
    }

    internal static bool IsTransient(RpcException e, bool isWrite) => e.StatusCode switch
    {
        StatusCode.Unavailable => true,
        StatusCode.Unknown => e.Trailers.GetValue("cc-outcome") == "ambiguous" || e.Status.DebugException is not null,
        StatusCode.Internal => e.Status.DebugException is not null, // transport failure mid-call
        StatusCode.Aborted => true,
        StatusCode.DeadlineExceeded => !isWrite,
        _ => false,
    };

    internal static Exception Translate(RpcException e) => e.StatusCode switch
    {
        StatusCode.NotFound => new ConfigNotFoundException(e.Status.Detail, e),
        StatusCode.FailedPrecondition => new ConfigVersionMismatchException(e.Status.Detail,
            long.TryParse(e.Trailers.GetValue("cc-current-version"), out var current) ? current : null, e),
        StatusCode.InvalidArgument or StatusCode.ResourceExhausted or StatusCode.OutOfRange => new ConfigValidationException(e.Status.Detail, e),
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => new ConfigAccessDeniedException(e.Status.Detail, e),
        StatusCode.Unavailable or StatusCode.Unknown or StatusCode.DeadlineExceeded or StatusCode.Internal => new ConfigUnavailableException($"no node could serve the call: {e.Status.Detail}", e),
        _ => new ConfigClusterException(e.Status.Detail, e),
    };
}
