using System.Threading.RateLimiting;
using ConfigCluster.Server.Acl;

namespace ConfigCluster.Server.Limits;

/// <summary>
/// Caps on long-lived requests per token (<c>--max-watches-per-token</c> for gRPC Watch streams and
/// WebSockets together, <c>--max-long-polls-per-token</c>): concurrency limiters from
/// System.Threading.RateLimiting partitioned by token accessor, without a queue, so the N+1th is
/// refused at once. The lease is held for the life of the stream or wait.
/// </summary>
public sealed class StreamLimits : IDisposable
{
    /// <summary>How long a refused client is asked to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly PartitionedRateLimiter<string>? watches;
    private readonly PartitionedRateLimiter<string>? longPolls;

    /// <summary>Builds the limiters the node's settings turn on.</summary>
    public StreamLimits(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        watches = Concurrency(settings.Limits.MaxWatchesPerToken);
        longPolls = Concurrency(settings.Limits.MaxLongPollsPerToken);
    }

    /// <summary>
    /// Takes a place for one stream of <paramref name="caller"/>; null when the token has all it may
    /// hold (the caller answers 429 / RESOURCE_EXHAUSTED). Dispose the lease when the stream ends.
    /// </summary>
    public IDisposable? TryEnter(LimitKind kind, CallerIdentity? caller)
    {
        var limiter = kind == LimitKind.LongPolls ? longPolls : watches;
        if (limiter is null || caller is null)
            return NoLimit.Instance;
        var lease = limiter.AttemptAcquire(caller.Accessor);
        if (lease.IsAcquired)
            return lease;
        lease.Dispose();
        return null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        watches?.Dispose();
        longPolls?.Dispose();
    }

    private static PartitionedRateLimiter<string>? Concurrency(int? permits) => permits is { } limit
        ? PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = limit,
            QueueLimit = 0,
        }), StringComparer.Ordinal)
        : null;

    private sealed class NoLimit : IDisposable
    {
        public static readonly NoLimit Instance = new();

        public void Dispose()
        {
        }
    }
}
