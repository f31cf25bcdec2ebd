using ConfigCluster.Consensus;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConfigCluster.Server.Health;

/// <summary>
/// Ready: a leader is known, this node has applied everything it knows to be committed, and since
/// it started it has once applied up to the leader's commit index as the leader reported it
/// (<see cref="RaftNode.CaughtUpWithLeader"/>: a restarted follower's own commit index can lag
/// writes made while it was down). Never ready once its apply halted on a command newer than this
/// build (upgrade the node).
/// </summary>
internal sealed class ReadinessHealthCheck(RaftNode node, ILogger<ReadinessHealthCheck> logger) : IHealthCheck
{
    public const string Name = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await node.GetStatusAsync(cancellationToken);
        var leaderKnown = status.Members.Any(static m => m.IsLeader);
        var caughtUpWithLeader = node.CaughtUpWithLeader;
        var caughtUp = caughtUpWithLeader && status.AppliedIndex >= status.CommitIndex;
        var data = new Dictionary<string, object>
        {
            ["leaderKnown"] = leaderKnown,
            ["caughtUp"] = caughtUp,
            ["caughtUpWithLeader"] = caughtUpWithLeader,
            ["appliedIndex"] = status.AppliedIndex,
            ["commitIndex"] = status.CommitIndex,
        };
        if (node.StateMachine.HaltReason is { } halted)
        {
            data["applyHalted"] = true;
            return HealthCheckResult.Unhealthy(halted, data: data);
        }

        if (leaderKnown && caughtUp)
            ConfigCluster.Server.Hosting.StartupTimeline.ReportReadyOnce(logger, status.AppliedIndex, status.CommitIndex);
        return leaderKnown && caughtUp
            ? HealthCheckResult.Healthy("ready", data)
            : HealthCheckResult.Unhealthy(leaderKnown ? "catching up" : "no leader known", data: data);
    }
}
