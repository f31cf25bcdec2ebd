using System.Collections.Concurrent;
using System.Net;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>
/// Chaos finding of 2026-12-06: a node answered 401 for the bootstrap token although it held
/// tokens. A node rebuilding its token table (a wiped node catching up by snapshot, then every node
/// restarted) must answer 503 (not caught up: clients try another node) or serve, never 401.
/// </summary>
public sealed class TokenTableAfterSnapshotTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WipedFollowerInstallingASnapshot_ThenFullRestart_NeverRefusesTheAdminToken()
    {
        // Checkpoints every 100 entries, so the leader's log no longer starts at 1 and a wiped follower needs a snapshot.
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "100"]);
        await cluster.WaitForLeaderAsync(Timeout);
        await WriteAsync(cluster, "before", 600);
        var wiped = await cluster.FollowerAsync();

        var answers = new ConcurrentDictionary<HttpStatusCode, int>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var probes = cluster.Nodes.Select(node => Task.Run(() => ProbeAsync(node, answers, stop.Token))).ToList();

        await cluster.WipeNodeAsync(wiped);
        await cluster.StartNodeAsync(wiped);
        // Until the snapshot brings it the tokens, the node shows the admin token only the basic status (no snapshotsInstalled).
        await Eventually.WaitAsync(async () => (await TestCluster.StatusAsync(cluster[wiped]))["snapshotsInstalled"]?.GetValue<long>() >= 1, Timeout, "the wiped follower to install a snapshot");
        await WriteAsync(cluster, "after", 300);

        for (var node = 0; node < cluster.Nodes.Count; node++)
            await cluster.KillNodeAsync(node);
        for (var node = 0; node < cluster.Nodes.Count; node++)
            await cluster.StartNodeAsync(node);
        await cluster.WaitForLeaderAsync(Timeout);
        await cluster.WaitForAccessAsync();
        await stop.CancelAsync();
        await Task.WhenAll(probes);

        output.WriteLine(string.Join(", ", answers.OrderBy(static a => a.Key).Select(static a => $"{(int)a.Key}: {a.Value}")));
        Assert.True(answers.GetValueOrDefault(HttpStatusCode.OK) > 0, "no probe was served");
        var refused = answers.GetValueOrDefault(HttpStatusCode.Unauthorized);
        Assert.True(refused == 0, $"a node refused the admin token {refused} times while rebuilding its token table\n{cluster.Logs()}");
    }

    // Filler writes for the log to hold (enough for snapshots): a write answered 503/504 while
    // leadership moves (a loaded machine) is sent again, to whichever node leads by then.
    private static async Task WriteAsync(TestCluster cluster, string prefix, int count)
    {
        var next = 0;
        var leader = await cluster.WaitForLeaderAsync(Timeout);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) <= count;)
            {
                await Eventually.WaitAsync(
                    async () =>
                    {
                        if ((await cluster[Volatile.Read(ref leader)].Http.PutValueAsync($"{prefix}.k{i % 8}", i)).Status == HttpStatusCode.OK)
                            return true;
                        Volatile.Write(ref leader, await cluster.WaitForLeaderAsync(Timeout));
                        return false;
                    },
                    Timeout,
                    $"write {prefix}.k{i % 8} = {i}");
            }
        })));
    }

    // The admin token on one node, back to back, until stopped; connection failures (node down) are not answers.
    private static async Task ProbeAsync(NodeProcess node, ConcurrentDictionary<HttpStatusCode, int> answers, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await node.Http.GetAsync("/config?limit=1&consistency=serializable", stop);
                answers.AddOrUpdate(response.StatusCode, 1, static (_, n) => n + 1);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (!stop.IsCancellationRequested)
                    await Task.Delay(20, CancellationToken.None);
            }
        }
    }
}
