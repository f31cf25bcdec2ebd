using ConfigCluster.Consensus;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// On the leader, revokes every lease that is due: past its expiry (recorded from log timestamps;
/// the revocation's own command timestamp must be past it too, or apply refuses it), or marked for
/// revocation but not confirmed (an explicit revoke whose database step failed, a leader that
/// died between the steps, a revoked token's leases), or asked for by a token that has expired
/// (checked at the command's timestamp too). A new leader finds the same leases in its replicated state and carries
/// on. A failed attempt is retried with exponential backoff (0.5 s doubling to 30 s) and counted.
/// </summary>
internal sealed partial class LeaseExpiryService(DatabaseEngine engine, RaftNode node, IVersionedStore store, TimeProvider clock, ILogger<LeaseExpiryService> logger) : BackgroundService
{
    /// <summary>How often the leader looks for due leases.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    // Per lease: failed attempts so far and when the next may run. Only this loop touches it.
    private readonly Dictionary<string, (int Failures, DateTimeOffset NotBefore)> retries = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!node.IsLeader)
            {
                retries.Clear(); // the members' formats are kept warm meanwhile by Hosting/CommandFormatSampler
                continue;
            }

            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.SweepFailed(logger, e.GetType().Name);
            }
        }
    }

    private async Task SweepAsync(CancellationToken token)
    {
        var now = clock.GetUtcNow();
        var leases = store.Leases();
        foreach (var gone in retries.Keys.Where(id => store.FindLease(id) is null).ToList())
            retries.Remove(gone);
        foreach (var (lease, reason) in leases.Select(l => (l, Due(l, now))).Where(static d => d.Item2 is not null))
        {
            if (!node.IsLeader || token.IsCancellationRequested)
                return;
            if (retries.TryGetValue(lease.LeaseId, out var retry) && retry.NotBefore > now)
                continue;
            var error = await engine.RevokeAsync(lease.LeaseId, reason!.Value, token);
            LeaseMeters.CountRevocation(error is null);
            if (error is null)
            {
                retries.Remove(lease.LeaseId);
                continue;
            }

            var failures = retry.Failures + 1;
            var pause = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(failures - 1, 16)));
            retries[lease.LeaseId] = (failures, clock.GetUtcNow() + pause);
            Log.RevocationFailed(logger, lease.LeaseId, failures, pause.TotalSeconds, error.Message);
        }
    }

    private RevokeReason? Due(StoredLease lease, DateTimeOffset now)
        => lease.Revoking ? RevokeReason.Explicit
            : lease.ExpiresAt <= now ? RevokeReason.Expired
            : store.LeaseOwnerEnded(lease, now) ? RevokeReason.OwnerEnded
            : null;

    private static partial class Log
    {
        [LoggerMessage(EventId = 6610, Level = LogLevel.Warning, Message = "Revoking lease {LeaseId} failed (attempt {Failures}); retrying in {RetrySeconds} s: {Reason}")]
        public static partial void RevocationFailed(ILogger logger, string leaseId, int failures, double retrySeconds, string reason);

        [LoggerMessage(EventId = 6611, Level = LogLevel.Warning, Message = "The lease expiry sweep failed ({Error}); the next sweep tries again")]
        public static partial void SweepFailed(ILogger logger, string error);
    }
}
