using System.Threading.RateLimiting;
using ConfigCluster.Server.Acl;
using Grpc.AspNetCore.Server;

namespace ConfigCluster.Server.Limits;

/// <summary>
/// The node's global request limiter, run by ASP.NET Core's rate limiting middleware between
/// routing and the access gate (so a refused request costs no audit write). Each request passes,
/// in order: the per-source-IP rate, then, when its token authenticates, the per-token rate and
/// the per-token quota, each a <see cref="PartitionedRateLimiter{TResource}"/> from
/// System.Threading.RateLimiting partitioned by IP or token accessor (never the token itself).
/// Peer calls and health probes never get here (their endpoints disable rate limiting); a
/// member's signed <c>Cluster.Status</c> call passes untouched.
/// </summary>
public sealed class RequestRateLimiter : PartitionedRateLimiter<HttpContext>
{
    /// <summary>Where the rejecting limit is named for the rejection answer (<see cref="HttpContext.Items"/>).</summary>
    public const string RejectionItem = "cc.limit.rejected";

    private const string StatusMethod = "/configcluster.v1.Cluster/Status";
    private readonly PartitionedRateLimiter<string>? source;
    private readonly PartitionedRateLimiter<string>? tokenRate;
    private readonly PartitionedRateLimiter<string>? tokenQuota;
    private readonly TokenAuthenticator authenticator;
    private readonly PeerAuthenticator peers;

    /// <summary>Builds the limiters that <paramref name="limits"/> turns on.</summary>
    public RequestRateLimiter(RequestLimits limits, TokenAuthenticator authenticator, PeerAuthenticator peers)
    {
        ArgumentNullException.ThrowIfNull(limits);
        this.authenticator = authenticator;
        this.peers = peers;
        source = limits.SourceRate is { } s ? Bucket(s) : null;
        tokenRate = limits.TokenRate is { } t ? Bucket(t) : null;
        tokenQuota = limits.TokenQuota is { } q
            ? PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = q.Permits,
                Window = q.Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }), StringComparer.Ordinal)
            : null;
    }

    /// <inheritdoc/>
    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    /// <inheritdoc/>
    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (IsPeerStatusCall(resource))
            return Granted.Instance;
        if (source is not null)
        {
            var address = resource.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (Refused(source.AttemptAcquire(address, permitCount), resource, LimitScope.Source, LimitKind.Rate) is { } refused)
                return refused;
        }

        if (tokenRate is null && tokenQuota is null)
            return Granted.Instance;
        // The gate authenticates again (and audits) if the request passes: a lookup in memory.
        var accessor = authenticator.AuthenticateAdmitted(TokenAuthenticator.FromRequest(resource.Request)).Caller?.Accessor;
        if (accessor is null)
            return Granted.Instance;
        if (tokenRate is not null && Refused(tokenRate.AttemptAcquire(accessor, permitCount), resource, LimitScope.Token, LimitKind.Rate) is { } rate)
            return rate;
        if (tokenQuota is not null && Refused(tokenQuota.AttemptAcquire(accessor, permitCount), resource, LimitScope.Token, LimitKind.Quota) is { } quota)
            return quota;
        return Granted.Instance;
    }

    /// <inheritdoc/>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
        => ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            source?.Dispose();
            tokenRate?.Dispose();
            tokenQuota?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Whether the request is gRPC (by the endpoint it matched, never by its headers).</summary>
    public static bool IsGrpc(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;

    // Replenished in tenths of the period (when the numbers allow), so a client that used its
    // allowance waits a tenth of the period rather than all of it.
    private static PartitionedRateLimiter<string> Bucket(RateLimit limit)
    {
        var steps = limit.Permits >= 10 ? 10 : 1;
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Permits,
            TokensPerPeriod = Math.Max(1, limit.Permits / steps),
            ReplenishmentPeriod = limit.Period / steps,
            QueueLimit = 0,
            AutoReplenishment = true,
        }), StringComparer.Ordinal);
    }

    private static RateLimitLease? Refused(RateLimitLease lease, HttpContext context, LimitScope scope, LimitKind kind)
    {
        if (lease.IsAcquired)
        {
            lease.Dispose();
            return null;
        }

        context.Items[RejectionItem] = (scope, kind);
        return lease;
    }

    private bool IsPeerStatusCall(HttpContext context)
        => context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc
            && grpc.Method.FullName == StatusMethod
            && PeerStatusProof.IsSigned(peers, context.Request.Headers);

    private sealed class Granted : RateLimitLease
    {
        public static readonly Granted Instance = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
