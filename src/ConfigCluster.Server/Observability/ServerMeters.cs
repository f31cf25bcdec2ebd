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

    public static readonly Counter<long> DroppedWatchers = Meter.CreateCounter<long>("configcluster.watch.dropped", description: "Watchers ended because they fell behind");

    public static readonly Counter<long> AccessDecisions = Meter.CreateCounter<long>("configcluster.access.decisions", description: "Access decisions by outcome");

    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("configcluster.rate_limited", description: "Requests refused by a limit, by scope (token, source), surface (http, grpc) and limit (rate, quota, watches, long-polls)");

    public static readonly Counter<long> AuditSinkFailures = Meter.CreateCounter<long>("configcluster.audit.sink_failures", description: "Audit records that could not be written, by sink (file, stream); their requests were refused");
}
