using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Keeps this node's view of every member's announced command format fresh while it is a
/// follower, so that when it becomes leader after a leader died it already knows what the dead
/// member supported. Without it a new leader that never reached the dead member takes it for an
/// older build (<see cref="Core.Commands.CommandFormat.Initial"/>) and refuses every newer
/// operation (transit, Vault KV, rotation) until that member is back.
/// </summary>
internal sealed class CommandFormatSampler(RaftNode node, TimeProvider time) : BackgroundService
{
    /// <summary>How often a follower asks the members (the gate's own refresh period).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (node.IsLeader || !node.HasLeader)
                continue; // the leader samples when it proposes; without a leader the members may be unreachable anyway
            try
            {
                await node.ClusterFormatAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A member that cannot be asked keeps its last answer; the next tick asks again.
            }
        }
    }
}
