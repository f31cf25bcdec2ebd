using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client;

/// <summary>
/// Runs one logical operation as a series of attempts within <see cref="ConfigClusterClientOptions.OperationTimeout"/>.
/// Each attempt is a new gRPC call, so the channel's round-robin balancer sends it to the next
/// healthy node; each has its own deadline (<see cref="ConfigClusterClientOptions.CallTimeout"/>)
/// so a hung node cannot use up the whole budget. grpc-dotnet's retry policy already re-sends
/// UNAVAILABLE within one attempt; this loop adds what it cannot: re-sending a write whose outcome
/// is unknown (the caller reuses one request id, so the cluster applies it once) and moving on
/// after a per-attempt timeout.
/// </summary>
internal sealed class CallRetrier(ConfigClusterClientOptions options, ILogger logger, MachineTokenSource? login = null)
{
    private readonly TimeProvider time = options.TimeProvider;

    /// <param name="operation">Names the call in logs.</param>
    /// <param name="attempt">One try; gets the attempt's deadline (UTC).</param>
    /// <param name="kind">Whether an attempt with an unknown outcome may be re-sent.</param>
    /// <param name="requestId">The write's request id (for <see cref="CallKind.DedupedWrite"/>).</param>
    public async Task<T> RunAsync<T>(string operation, Func<DateTime, Task<T>> attempt, CallKind kind, string? requestId, CancellationToken token)
    {
        var isWrite = kind != CallKind.Read;
        var overall = time.GetUtcNow() + options.OperationTimeout;
        var backoff = options.RetryBackoff;
        var ambiguous = false;
        var reauthenticated = false;
        var tlsRefusals = 0;
        for (var number = 1; ; number++)
        {
            token.ThrowIfCancellationRequested();
            var now = time.GetUtcNow();
            var attemptDeadline = Min(now + options.CallTimeout, overall);
            RpcException e;
            try
            {
                return await attempt(attemptDeadline.UtcDateTime).ConfigureAwait(false);
            }
            catch (RpcException rpc) when (!token.IsCancellationRequested)
            {
                e = rpc;
            }
            catch (RpcException rpc)
            {
                // The caller gave up while the attempt failed: its cancellation is the answer,
                // not the attempt's status (a raw RpcException is never surfaced).
                throw new OperationCanceledException($"{operation}: cancelled by the caller", rpc, token);
            }
            catch (OperationCanceledException cancelled) when (!token.IsCancellationRequested)
            {
                // grpc-dotnet can surface an attempt's deadline as a cancelled HTTP request
                // rather than DEADLINE_EXCEEDED (seen with its retry policy): the same thing.
                e = new RpcException(new Status(StatusCode.DeadlineExceeded, "the attempt's deadline passed before the node answered", cancelled));
            }

            var failure = FailureClassifier.Classify(e, isWrite);
            // A machine-login token the cluster no longer takes (it expired while a renewal waited
            // out a leader election, or was revoked): refused before anything was done, so log in
            // again and re-send, once.
            if (e.StatusCode == StatusCode.Unauthenticated && login is not null && !reauthenticated)
            {
                reauthenticated = true;
                login.Invalidate();
                failure = FailureKind.Transient;
            }

            // Every node refused in the TLS handshake, one after another: the client does not trust
            // the cluster's certificates, and waiting will not change that. (One node alone, say
            // with an expired certificate, is passed over: the next attempt goes to the next node.)
            tlsRefusals = FailureClassifier.TlsRefusal(e) is not null ? tlsRefusals + 1 : 0;
            if (tlsRefusals >= Math.Max(1, options.Endpoints.Count))
            {
                throw new ConfigUnavailableException(
                    $"{operation}: the TLS handshake failed with every node ({FailureClassifier.TlsRefusal(e)}); if the cluster's certificates come from a private CA, trust it with ConfigClusterClientOptions.CaCertificateFile (ccctl: --cacert)", e);
            }

            if (failure == FailureKind.Ambiguous && kind == CallKind.OnceWrite)
                throw new ConfigAmbiguousWriteException($"{operation}: the outcome is unknown (it may or may not have been applied); not re-sent because it is not idempotent", null, e);
            if (failure == FailureKind.Fatal)
            {
                // A retried write that now fails for good (say NOT_FOUND on a delete) was not
                // applied by an earlier attempt: the cluster would have answered that one's result.
                throw FailureClassifier.Translate(e);
            }

            ambiguous |= failure == FailureKind.Ambiguous;
            var delay = Jitter(backoff);
            if (time.GetUtcNow() + delay >= overall)
            {
                ClientLog.GaveUp(logger, operation, number, e.StatusCode);
                throw ambiguous
                    ? new ConfigAmbiguousWriteException($"{operation}: the outcome is unknown (it may or may not have been applied) after {number} attempts; last status {e.StatusCode}", requestId, e)
                    : FailureClassifier.Translate(e);
            }

            ClientLog.Retrying(logger, operation, number, e.StatusCode, failure, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, time, token).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxRetryBackoff.Ticks));
        }
    }

    /// <summary>±20 % so that many clients that failed together do not retry together.</summary>
    internal static TimeSpan Jitter(TimeSpan backoff) => backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>How a call may be retried.</summary>
internal enum CallKind
{
    /// <summary>A read: retried on every transient failure.</summary>
    Read,

    /// <summary>A write with a request id: also re-sent when its outcome is unknown, applied once.</summary>
    DedupedWrite,

    /// <summary>A write that is harmless to repeat (replace a policy, revoke a token): re-sent like a deduped write.</summary>
    IdempotentWrite,

    /// <summary>A write that must not be repeated (it creates something): not re-sent after an unknown outcome.</summary>
    OnceWrite,
}
