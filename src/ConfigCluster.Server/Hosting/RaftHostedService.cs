using ConfigCluster.Consensus;
using ConfigCluster.Server.Watch;

namespace ConfigCluster.Server.Hosting;

/// <summary>Runs the node's Raft member for the lifetime of the host, with the change feed attached.</summary>
internal sealed class RaftHostedService(RaftNode node, ChangeFeed feed) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        node.StateMachine.AddObserver(feed);
        return node.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        feed.EndAll();
        await node.StopAsync(cancellationToken);
        await node.DisposeAsync();
    }
}
