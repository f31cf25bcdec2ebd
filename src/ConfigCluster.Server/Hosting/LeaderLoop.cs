using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// Upkeep only the leader does (entering its clock, reaping tokens, rescuing members): a node runs
/// one round as soon as it leads (its first entry of the term committed), so a new leader enters its
/// clock at once, then one every <see cref="Period"/> until its term ends. Followers wait.
/// Proposals give up after a timeout and stop with the host.
/// </summary>
public abstract class LeaderLoop(RaftNode node, TimeProvider clock) : BackgroundService
{
    /// <summary>This node's Raft instance.</summary>
    protected RaftNode Node => node;

    /// <summary>The node's clock (ticks and command timestamps).</summary>
    protected TimeProvider Clock => clock;

    /// <summary>The time between rounds, read once when the loop starts.</summary>
    protected abstract TimeSpan Period { get; }

    /// <summary>One round, run only while this node is the leader.</summary>
    protected abstract Task RunRoundAsync(CancellationToken stoppingToken);

    /// <inheritdoc/>
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = Period;
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken term;
            try
            {
                term = await node.WaitForLeadershipAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            using var timer = new PeriodicTimer(period, clock);
            while (!term.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                await RunRoundAsync(stoppingToken);
                if (!await WaitAsync(timer, stoppingToken))
                    return;
            }

            // A term that has just ended can still be handed out once more; wait a period before asking again.
            if (!stoppingToken.IsCancellationRequested)
                await WaitAsync(timer, stoppingToken);
        }
    }

    /// <summary>
    /// Proposes <paramref name="command"/>, giving up after <paramref name="timeout"/>
    /// (<see cref="ProposeStatus.Ambiguous"/>: it may still be applied); null once the host is stopping.
    /// </summary>
    protected async Task<ProposeOutcome?> ProposeAsync(Command command, TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        limit.CancelAfter(timeout);
        try
        {
            var outcome = await node.ProposeAsync(command, limit.Token);
            return stoppingToken.IsCancellationRequested ? null : outcome;
        }
        catch (OperationCanceledException)
        {
            return stoppingToken.IsCancellationRequested ? null : ProposeOutcome.Ambiguous;
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
