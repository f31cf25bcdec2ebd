using ConfigCluster.Consensus;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConfigCluster.Server.Health;

/// <summary>
/// Ready: a leader is known and this node has applied everything it knows to be committed.
/// Never ready once its apply halted on a command newer than this build (upgrade the node).
/// </summary>
internal sealed class ReadinessHealthCheck(RaftNode node) : IHealthCheck
{
    public const string Name = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await node.GetStatusAsync(cancellationToken);
        var leaderKnown = status.Members.Any(static m => m.IsLeader);
        var caughtUp = status.AppliedIndex >= status.CommitIndex;
        var data = new Dictionary<string, object>
        {
            ["leaderKnown"] = leaderKnown,
            ["caughtUp"] = caughtUp,
            ["appliedIndex"] = status.AppliedIndex,
            ["commitIndex"] = status.CommitIndex,
        };
        if (node.StateMachine.HaltReason is { } halted)
        {
            data["applyHalted"] = true;
            return HealthCheckResult.Unhealthy(halted, data: data);
        }

        return leaderKnown && caughtUp
            ? HealthCheckResult.Healthy("ready", data)
            : HealthCheckResult.Unhealthy(leaderKnown ? "catching up" : "no leader known", data: data);
    }
}
