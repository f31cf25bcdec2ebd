using ConfigCluster.Consensus;

namespace ConfigCluster.Server.Hosting;

/// <summary>Runs the node's Raft member for the lifetime of the host.</summary>
internal sealed class RaftHostedService(RaftNode node) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => node.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await node.StopAsync(cancellationToken);
        await node.DisposeAsync();
    }
}
