using System.Diagnostics;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// The time that token, secret-id and JWT expiry are judged by on a request path: the log clock
/// (the newest leader time entered in the log, see <see cref="LogClockService"/>) plus the time
/// elapsed on this node's monotonic clock since it applied that entry. Every node applies the same
/// clock entries, so every node judges alike within the spread of their apply moments (milliseconds),
/// whatever its own wall clock says; a node cut off from the leader keeps counting from the last
/// entry it applied instead of freezing. Before the first clock entry (a cluster created a moment
/// ago) this node's wall clock stands in.
/// </summary>
public sealed class LogClock(IVersionedStore store, TimeProvider clock)
{
    /// <summary>Now, judged by the log.</summary>
    public DateTimeOffset Now()
    {
        var reading = store.LogClock;
        if (reading.UnixMs <= 0)
            return clock.GetUtcNow();
        return DateTimeOffset.FromUnixTimeMilliseconds(reading.UnixMs) + Stopwatch.GetElapsedTime(reading.AppliedAtTimestamp);
    }

    /// <summary>Whether a token or secret that expires at <paramref name="expiresAt"/> has expired (null: never).</summary>
    public bool HasExpired(DateTimeOffset? expiresAt) => expiresAt is { } expires && expires <= Now();
}
