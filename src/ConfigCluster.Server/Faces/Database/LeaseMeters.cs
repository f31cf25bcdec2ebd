using System.Diagnostics.Metrics;
using ConfigCluster.Server.Observability;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>
/// The database engine's instruments, on the node's meter (<c>/metrics</c>):
/// <c>configcluster_leases_revocations_total{result="ok|failed"}</c> (revocation attempts of the
/// leader's expiry loop and of explicit revokes), and the time to issue a credential.
/// </summary>
internal static class LeaseMeters
{
    private static readonly string[] Results = ["ok", "failed"];
    private static readonly long[] RevocationCounts = new long[Results.Length];

    /// <summary>Revocation attempts by result; both series exist (at 0) from the first scrape.</summary>
    public static readonly ObservableCounter<long> Revocations = ServerMeters.Meter.CreateObservableCounter("configcluster.leases.revocations", Observe,
        description: "Lease revocation attempts (expiry and explicit) by result (ok, failed); failures are retried with backoff");

    /// <summary>Milliseconds to issue a database credential on the accepting node (lease recorded, user created).</summary>
    public static readonly Histogram<double> IssueDuration = ServerMeters.Meter.CreateHistogram<double>("configcluster.database.creds.issue_duration", unit: "ms",
        description: "Time to issue a database credential (lease through the log, user created in the database)");

    /// <summary>Counts one revocation attempt.</summary>
    public static void CountRevocation(bool ok) => Interlocked.Increment(ref RevocationCounts[ok ? 0 : 1]);

    private static IEnumerable<Measurement<long>> Observe()
    {
        for (var i = 0; i < Results.Length; i++)
            yield return new Measurement<long>(Volatile.Read(ref RevocationCounts[i]), new KeyValuePair<string, object?>("result", Results[i]));
    }
}
