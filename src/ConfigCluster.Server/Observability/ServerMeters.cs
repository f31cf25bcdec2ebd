using System.Diagnostics.Metrics;

namespace ConfigCluster.Server.Observability;

/// <summary>
/// The node's own instruments (System.Diagnostics.Metrics), exported as Prometheus text at
/// <c>/metrics</c> by OpenTelemetry together with ASP.NET Core's request metrics
/// (<c>http_server_request_duration</c> per route and status) and DotNext's Raft metrics.
/// </summary>
public static class ServerMeters
{
    public const string MeterName = "ConfigCluster.Server";

    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> ForwardedWrites = Meter.CreateCounter<long>("configcluster.writes.forwarded", description: "Writes a follower forwarded to the leader");

    public static readonly Counter<long> LeaderChanges = Meter.CreateCounter<long>("configcluster.raft.leader_changes", description: "Leader changes seen by this node");

    /// <summary>Snapshots offered early to free a member caught refusing the offered one (<c>Operations/RefusedSnapshotRescue.cs</c>).</summary>
    public static readonly Counter<long> SnapshotRescues = Meter.CreateCounter<long>("configcluster.raft.snapshot_rescues", description: "Newer snapshots offered to a member that kept refusing the offered one");

    public static readonly Counter<long> DroppedWatchers = Meter.CreateCounter<long>("configcluster.watch.dropped", description: "Watchers ended because they fell behind");

    /// <summary>Scheduled backups that could not be written.</summary>
    public static readonly Counter<long> BackupFailures = Meter.CreateCounter<long>("configcluster.backup.failures", description: "Scheduled backups that could not be written");

    public static readonly Counter<long> AccessDecisions = Meter.CreateCounter<long>("configcluster.access.decisions", description: "Access decisions by outcome");

    // Counted here and observed, so every series exists (at 0) from the first scrape: alerts on
    // their rate see them before the first refusal. Index: scope, surface, limit.
    private static readonly string[] Scopes = ["token", "source"];
    private static readonly string[] Surfaces = ["http", "grpc"];
    private static readonly string[] Limits = ["rate", "quota", "watches", "long-polls"];
    private static readonly string[] AuditSinks = ["file", "stream"];
    private static readonly long[] RateLimitedCounts = new long[Scopes.Length * Surfaces.Length * Limits.Length];
    private static readonly long[] AuditFailureCounts = new long[AuditSinks.Length];

    public static readonly ObservableCounter<long> RateLimited = Meter.CreateObservableCounter("configcluster.rate_limited", ObserveRateLimited,
        description: "Requests refused by a limit, by scope (token, source), surface (http, grpc) and limit (rate, quota, watches, long-polls)");

    public static readonly ObservableCounter<long> AuditSinkFailures = Meter.CreateObservableCounter("configcluster.audit.sink_failures", ObserveAuditFailures,
        description: "Audit records that could not be written, by sink (file, stream); their requests were refused");

    /// <summary>Counts one request refused by a limit (indexes into scope token/source, limit rate/quota/watches/long-polls).</summary>
    public static void CountRateLimited(int scope, bool grpc, int limit)
        => Interlocked.Increment(ref RateLimitedCounts[(scope * Surfaces.Length + (grpc ? 1 : 0)) * Limits.Length + limit]);

    /// <summary>Counts audit records an audit sink could not take.</summary>
    public static void CountAuditFailures(bool stream, int records)
        => Interlocked.Add(ref AuditFailureCounts[stream ? 1 : 0], records);

    private static IEnumerable<Measurement<long>> ObserveRateLimited()
    {
        for (var scope = 0; scope < Scopes.Length; scope++)
        {
            for (var surface = 0; surface < Surfaces.Length; surface++)
            {
                for (var limit = 0; limit < Limits.Length; limit++)
                {
                    yield return new Measurement<long>(Volatile.Read(ref RateLimitedCounts[(scope * Surfaces.Length + surface) * Limits.Length + limit]),
                        new("scope", Scopes[scope]), new("surface", Surfaces[surface]), new("limit", Limits[limit]));
                }
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveAuditFailures()
    {
        for (var sink = 0; sink < AuditSinks.Length; sink++)
            yield return new Measurement<long>(Volatile.Read(ref AuditFailureCounts[sink]), new KeyValuePair<string, object?>("sink", AuditSinks[sink]));
    }
}
