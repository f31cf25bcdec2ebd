using ConfigCluster.Consensus;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Runs the node's Raft member for the lifetime of the host, with the change feed attached;
/// checks the master key against the keyring once the node has caught up.
/// </summary>
internal sealed class RaftHostedService(RaftNode node, FasterVersionedStore store, ChangeFeed feed, SecretKeyring keyring, NodeSettings settings, ILogger<RaftHostedService> logger) : IHostedService
{
    private readonly CancellationTokenSource stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Attached between two applied entries: the WAL has been replaying since it was built.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await node.StateMachine.AddObserverAsync(feed, cancellationToken);
        await node.StartAsync(cancellationToken);
        StartupTimeline.HostedServiceStarted(logger, nameof(RaftHostedService), (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _ = CatchUpWithLeaderAsync(stopping.Token);
        _ = VerifyKeyringAsync(stopping.Token);
    }

    // Readiness waits for this (ReadinessHealthCheck): applied up to the leader's commit index as it
    // stood after this node started, confirmed by the leader.
    private async Task CatchUpWithLeaderAsync(CancellationToken token)
    {
        try
        {
            var applied = await node.CatchUpWithLeaderAsync(settings.ReadTimeout, token);
            StartupTimeline.CaughtUp(logger, applied, StartupTimeline.SinceProcessStartMs);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping before it caught up.
        }
    }

    private async Task VerifyKeyringAsync(CancellationToken token)
    {
        try
        {
            await node.WaitForLeaderAsync(token);
            await node.ReadBarrierAsync(token);
        }
        catch (Exception e) when (e is OperationCanceledException or DotNext.Net.Cluster.Consensus.Raft.QuorumUnreachableException)
        {
            // Verified on first use instead.
        }

        keyring.Verify();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        feed.EndAll();
        await node.StopAsync(cancellationToken);
        await node.DisposeAsync();
        // The host opened the store and the process exits without disposing the container:
        // close it here, after the WAL that applies to it.
        store.Dispose();
        stopping.Dispose();
    }
}
