using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Process pauses (SIGSTOP held past the election timeout, then SIGCONT) of the leader (its own
/// test) and of a follower, and leadership transfers faulted at once (target paused, target cut off, or the
/// old leader killed). Each is held until the phase has its floor of successful reads and
/// writes; targets and fault kinds are drawn from the run's seed.
/// </summary>
internal sealed class PauseAndTransferFaults(ChaosRun run, NemesisFaults nemesis)
{
    private readonly TestCluster cluster = run.Cluster;

    public IReadOnlyList<(string Name, Func<Task> Inject)> All =>
    [
        ("follower paused past the election timeout", PauseFollowerAsync),
        ("leadership transfer under a fault", TransferUnderFaultAsync),
        ("leadership transfer under a fault", TransferUnderFaultAsync),
    ];

    /// <summary>SIGSTOP of the leader, held until the others elected a new one and the phase has its floor, then SIGCONT.</summary>
    public async Task PauseLeaderAsync()
    {
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        var term = (await TestCluster.StatusAsync(cluster[leader]))["term"]!.GetValue<long>();
        await ExplainedAsync(leader, () => nemesis.FaultAsync($"SIGSTOP leader {cluster[leader].NodeId}", () => cluster[leader].PauseAsync(), NemesisFaults.PausedLeaderBound));

        // Paused past the election timeout: the others elected a new leader in a later term.
        await Eventually.WaitAsync(async () =>
        {
            foreach (var other in Others(leader))
            {
                var status = await TestCluster.StatusAsync(other);
                if (status["leaderId"]?.GetValue<string>() is not { } id || id == cluster[leader].NodeId || status["term"]!.GetValue<long>() <= term)
                    return false;
            }

            return true;
        }, ChaosRun.Timeout, $"a new leader while {cluster[leader].NodeId} is paused\n{run.Schedule}");
        await ResumeAsync(leader);
    }

    private async Task PauseFollowerAsync()
    {
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        var follower = PickFollower(leader);
        var at = 0L;
        await ExplainedAsync(follower, async () => at = await nemesis.FaultAsync($"SIGSTOP follower {cluster[follower].NodeId}", () => cluster[follower].PauseAsync(), NemesisFaults.DegradedBound));

        // Paused past the election timeout: a read its pinned client sent after the pause gave
        // up (the client's timeout is longer than the election timeout); none was answered.
        var pinned = ChaosRun.PinnedClient(follower);
        await Eventually.WaitAsync(() => run.Recorder.CompletedSince(at, new HashSet<int> { pinned }, OpKind.Read) >= 1, ChaosRun.Timeout, $"a read by client {pinned} to end while {cluster[follower].NodeId} is paused\n{run.Schedule}");
        Assert.DoesNotContain(run.Recorder.History, o => o.Client == pinned && o.Invoked >= at && o.Outcome == Outcome.Ok);
        await ResumeAsync(follower);
    }

    /// <summary>
    /// Asks the leader to hand over to a follower and, without waiting for the answer, pauses
    /// the target, cuts it off both ways, or kills the old leader. The transfer may succeed or
    /// fail; the history must stay linearizable either way.
    /// </summary>
    private async Task TransferUnderFaultAsync()
    {
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        var target = PickFollower(leader);
        var kind = run.Schedule.Random.Next(3);
        var what = $"leadership transfer {cluster[leader].NodeId} -> {cluster[target].NodeId}, at once "
            + (kind switch { 0 => $"SIGSTOP target {cluster[target].NodeId}", 1 => $"partition target {cluster[target].NodeId} both ways", _ => $"kill -9 old leader {cluster[leader].NodeId}" });
        Task<(HttpStatusCode Status, JsonNode? Body)>? transfer = null;
        await nemesis.FaultAsync(what, async () =>
        {
            transfer = cluster[leader].Http.SendAsync(HttpMethod.Post, $"/cluster/leader/transfer?to={cluster[target].NodeId}");
            await (kind switch { 0 => cluster[target].PauseAsync(), 1 => run.Lab.PartitionAsync(target), _ => cluster.KillNodeAsync(leader) });
        }, NemesisFaults.DegradedBound);

        switch (kind)
        {
            case 0:
                await ResumeAsync(target);
                break;
            case 1:
                await run.Lab.HealAsync(target);
                run.Schedule.Record($"heal {cluster[target].NodeId}");
                break;
            default:
                run.Schedule.Record($"restart {cluster[leader].NodeId}");
                await cluster.StartNodeAsync(leader);
                break;
        }

        run.Schedule.Record($"transfer answered: {await AnswerAsync(transfer!)}");
    }

    /// <summary>Runs <paramref name="wait"/>; on a timeout, adds what the nodes other than paused <paramref name="node"/> report, and their logs.</summary>
    private async Task ExplainedAsync(int node, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (TimeoutException e)
        {
            var views = new List<string>();
            foreach (var other in Others(node))
            {
                var status = await TestCluster.StatusAsync(other);
                views.Add($"{other.NodeId}: role {status["role"]}, term {status["term"]}, leader {status["leaderId"]}, commit {status["commitIndex"]}");
            }

            throw new TimeoutException($"{e.Message}\nwhile {cluster[node].NodeId} is paused: {string.Join("; ", views)}\n{cluster.Logs()}", e);
        }
    }

    private async Task ResumeAsync(int node)
    {
        await cluster[node].ResumeAsync();
        run.Schedule.Record($"SIGCONT {cluster[node].NodeId}");
    }

    private int PickFollower(int leader)
    {
        var followers = Enumerable.Range(0, cluster.Nodes.Count).Where(i => i != leader && cluster[i].IsRunning).ToList();
        return followers[run.Schedule.Random.Next(followers.Count)];
    }

    private IEnumerable<NodeProcess> Others(int node) => cluster.Nodes.Where(n => n != cluster[node]);

    private static async Task<string> AnswerAsync(Task<(HttpStatusCode Status, JsonNode? Body)> transfer)
    {
        try
        {
            var (status, body) = await transfer;
            return $"{(int)status} {body?.ToJsonString()}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // The old leader was killed or the request outlived the client's timeout.
            return $"no answer ({e.GetType().Name})";
        }
    }
}
