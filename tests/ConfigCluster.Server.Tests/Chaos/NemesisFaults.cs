using System.Net;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// The faults of a chaos round, each injected, recorded in the schedule, held until the phase
/// has its floor of successful reads and writes, then healed. Targets and directions are
/// drawn from the run's seed.
/// </summary>
internal sealed class NemesisFaults(ChaosRun run)
{
    private static readonly TimeSpan KillBound = TimeSpan.FromSeconds(10);
    // Above the roaming client's 15 s call timeout (ChaosRun): a call caught on a paused or cut-off
    // node waits that out before the client moves on, so a bound equal to it failed by 0.4-0.5 s
    // in two loaded CI runs while the cluster itself had recovered.
    public static readonly TimeSpan DegradedBound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Recovery bound when the leader is paused (SIGSTOP): the others' vote calls to it wait out
    /// the 2 s Raft peer-call timeout each round, so a new leader takes 11–16 s (measured over
    /// 8 rounds of tests/chaos.sh); a bound of 30 s still catches a leader that is never replaced.
    /// </summary>
    public static readonly TimeSpan PausedLeaderBound = TimeSpan.FromSeconds(30);
    private readonly TestCluster cluster = run.Cluster;
    private readonly NetworkLab lab = run.Lab;

    /// <summary>What the writes of <c>minority.write</c> on cut-off followers were answered.</summary>
    public List<HttpStatusCode> MinorityAnswers { get; } = [];

    /// <summary>Per fault: how long until the first acknowledged write, and the bound it must meet.</summary>
    public List<(string Fault, TimeSpan Recovery, TimeSpan Bound)> Recoveries { get; } = [];

    public IReadOnlyList<(string Name, Func<Task> Inject)> All =>
    [
        ("three leader kills", LeaderKillsAsync),
        ("follower kill and wiped follower", FollowerKillAndWipeAsync),
        ("follower partitioned both ways", FollowerPartitionAsync),
        ("follower link at 64 kbit/s", ThrottleAsync),
        ("kill of every node", KillAllAsync),
        ("leader isolated, clients on both sides", LeaderIsolationAsync),
        ("one-way partition", OneWayPartitionAsync),
        ("lossy links", LossyLinksAsync),
        ("wall clock of one node jumps", ClockJumpAsync),
    ];

    /// <summary>Injects, records, waits for a first acknowledged write (its delay is kept with <paramref name="bound"/>) and the phase floor; returns when the fault began.</summary>
    public async Task<long> FaultAsync(string what, Func<Task> inject, TimeSpan bound)
    {
        run.Schedule.Record(what);
        await inject();
        var at = ChaosRecorder.Now;
        await Eventually.WaitAsync(() => run.Recorder.RecoveryAfter(at) != TimeSpan.MaxValue, ChaosRun.Timeout, $"a write acknowledged after: {what}\n{run.Schedule}");
        Recoveries.Add((what, run.Recorder.RecoveryAfter(at), bound));
        await run.RequireFloorAsync(what, at);
        return at;
    }

    private async Task LeaderKillsAsync()
    {
        for (var kill = 0; kill < 3; kill++)
        {
            var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
            // Measured from the kill: the process is gone, no write can still land on it.
            await FaultAsync($"kill -9 leader {cluster[leader].NodeId}", () => cluster.KillNodeAsync(leader), KillBound);
            run.Schedule.Record($"restart {cluster[leader].NodeId}");
            await cluster.StartNodeAsync(leader);
        }
    }

    private async Task FollowerKillAndWipeAsync()
    {
        var follower = await cluster.FollowerAsync();
        await FaultAsync($"kill -9 follower {cluster[follower].NodeId}", () => cluster.KillNodeAsync(follower), KillBound);
        run.Schedule.Record($"restart {cluster[follower].NodeId}");
        await cluster.StartNodeAsync(follower);

        // Catches up by log or snapshot.
        var wiped = await cluster.FollowerAsync();
        await FaultAsync($"kill -9 and wipe follower {cluster[wiped].NodeId}", () => cluster.WipeNodeAsync(wiped), KillBound);
        run.Schedule.Record($"restart {cluster[wiped].NodeId} empty");
        await cluster.StartNodeAsync(wiped);
    }

    private async Task FollowerPartitionAsync()
    {
        // A follower cut off from its peers accepts no write, then converges once healed.
        var isolated = await cluster.FollowerAsync();
        await FaultAsync($"partition follower {cluster[isolated].NodeId} both ways", async () =>
        {
            await lab.PartitionAsync(isolated);
            var answer = await TryWriteAsync(cluster[isolated], "minority.write");
            run.Schedule.Record($"write of minority.write on the cut-off follower answered {(int)answer} {answer}");
            MinorityAnswers.Add(answer);
            Assert.NotEqual(HttpStatusCode.OK, answer);
        }, DegradedBound);
        await HealAsync(isolated);
    }

    private async Task ThrottleAsync()
    {
        var slow = await cluster.FollowerAsync();
        await FaultAsync($"throttle follower {cluster[slow].NodeId} to 64 kbit/s", () => lab.ThrottleAsync(slow, kilobitsPerSecond: 64), DegradedBound);
        await HealAsync(slow);
    }

    private async Task KillAllAsync()
    {
        // Recovery from checkpoints and WALs, measured from the kill to the first write.
        await FaultAsync("kill -9 every node, then restart all", async () =>
        {
            for (var node = 0; node < cluster.Nodes.Count; node++)
                await cluster.KillNodeAsync(node);
            for (var node = 0; node < cluster.Nodes.Count; node++)
                await cluster.StartNodeAsync(node);
        }, KillBound);
    }

    private async Task LeaderIsolationAsync()
    {
        var isolation = await run.IsolateLeaderAsync(minorityReads: 3);
        Recoveries.Add(("leader isolation", run.Recorder.RecoveryAfter(isolation.From), DegradedBound));
        await run.RequireFloorAsync("after healing the old leader", ChaosRecorder.Now);
    }

    private async Task OneWayPartitionAsync()
    {
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        var onLeader = run.Schedule.Random.Next(2) == 0;
        var target = onLeader ? leader : await cluster.FollowerAsync();
        var direction = run.Schedule.Random.Next(2) == 0 ? LinkDirection.Incoming : LinkDirection.Outgoing;
        await FaultAsync($"one-way partition: {(onLeader ? "leader" : "follower")} {cluster[target].NodeId} drops {direction.ToString().ToLowerInvariant()} peer traffic",
            () => lab.DropAsync(target, direction), DegradedBound);
        await HealAsync(target);
    }

    private async Task LossyLinksAsync()
    {
        // A third of the leader's peer packets lost each way: replication and heartbeats crawl
        // through retransmits; the cluster must stay correct and keep serving (maybe under a new leader).
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        await FaultAsync($"drop 30% of leader {cluster[leader].NodeId}'s peer packets each way", () => lab.LoseAsync(leader, 30), DegradedBound);
        await HealAsync(leader);
    }

    private async Task ClockJumpAsync()
    {
        // The wall clock of the leader or a follower jumps an hour ahead or back while it runs
        // (the test-only offset file), held through the phase floor, then jumps back to the true
        // time. Elections, leases and deadlines run on monotonic time; token expiry and the
        // request-id table on the log clock: service must not notice either jump.
        var leader = await cluster.WaitForLeaderAsync(ChaosRun.Timeout);
        var onLeader = run.Schedule.Random.Next(2) == 0;
        var target = onLeader ? leader : await cluster.FollowerAsync();
        var offset = run.Schedule.Random.Next(2) == 0 ? 3_600_000L : -3_600_000L;
        var id = cluster[target].NodeId;
        await FaultAsync($"wall clock of {(onLeader ? "leader" : "follower")} {id} jumps {(offset > 0 ? "an hour ahead" : "an hour back")}", () => run.SetClockOffsetAsync(target, offset), KillBound);
        await run.SetClockOffsetAsync(target, 0);
        run.Schedule.Record($"wall clock of {id} jumps back to the true time");
        await run.RequireFloorAsync($"after {id}'s clock jumped back", ChaosRecorder.Now);
    }

    private async Task HealAsync(int node)
    {
        await lab.HealAsync(node);
        run.Schedule.Record($"heal {cluster[node].NodeId}");
    }

    private static async Task<HttpStatusCode> TryWriteAsync(NodeProcess node, string key)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", NodeProcess.AdminToken);
        try
        {
            return (await http.PutValueAsync(key, 1)).Status;
        }
        catch (TaskCanceledException)
        {
            return HttpStatusCode.RequestTimeout;
        }
    }
}
