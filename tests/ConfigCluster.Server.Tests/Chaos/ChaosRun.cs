using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Harness;
using Xunit.Abstractions;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// A three-node cluster in network namespaces under a recorded workload: four clients that may
/// use every node (ids 1–4) and one client pinned to each node (id 100 + node index), so that
/// when a node is cut off there are clients on both sides of the partition.
/// </summary>
internal sealed class ChaosRun : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    public static readonly IReadOnlyList<string> Keys = ["reg.a", "reg.b", "reg.c"];

    /// <summary>Successful reads and writes every phase must see before the next fault.</summary>
    public const int PhaseFloor = 20;

    private readonly ITestOutputHelper output;
    private readonly List<ConfigClusterClient> clients = [];
    private readonly List<Task> workers = [];
    private readonly CancellationTokenSource stop = new();
    // One wall-clock offset file per node (CONFIGCLUSTER_TEST_CLOCK_OFFSET_FILE, re-read every 100 ms).
    private readonly string clockDirectory;

    private ChaosRun(NetworkLab lab, TestCluster cluster, string clockDirectory, ITestOutputHelper output)
    {
        Lab = lab;
        Cluster = cluster;
        this.clockDirectory = clockDirectory;
        this.output = output;
        Recorder = new ChaosRecorder(Keys, Schedule.Seed);
    }

    public NetworkLab Lab { get; }

    public TestCluster Cluster { get; }

    public FaultSchedule Schedule { get; } = new();

    public ChaosRecorder Recorder { get; }

    /// <summary>A client writing change-sets, for the atomicity check.</summary>
    public ChangeSetChecker ChangeSets { get; } = new();

    /// <summary>Watchers of the workload keys, started before the workload.</summary>
    public WatchChecker Watches { get; private set; } = null!;

    public static int PinnedClient(int node) => 100 + node;

    /// <summary>Starts the lab, the cluster (with <paramref name="environment"/>) and the workload.</summary>
    public static async Task<ChaosRun> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? environment = null)
    {
        var clockDirectory = Path.Combine(Path.GetTempPath(), "cc-tests", "chaos-clock-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(clockDirectory);
        var (lab, cluster) = await StartInLabAsync(output, environment, clockDirectory);
        var run = new ChaosRun(lab, cluster, clockDirectory, output);
        output.WriteLine($"chaos seed {run.Schedule.Seed} (CHAOS_SEED={run.Schedule.Seed} reproduces the choices)");
        run.Watches = WatchChecker.Start(cluster.Nodes, Keys, "reg.");
        var roaming = run.NewClient(cluster.Nodes, TimeSpan.FromSeconds(15));
        for (var id = 1; id <= 4; id++)
            run.Start(id, roaming, readPercent: 40);
        run.workers.Add(Task.Run(() => run.ChangeSets.RunAsync(roaming, run.stop.Token)));

        // A pinned client gives up sooner: on a cut-off node it should keep trying, not wait.
        for (var node = 0; node < cluster.Nodes.Count; node++)
            run.Start(PinnedClient(node), run.NewClient([cluster[node]], TimeSpan.FromSeconds(2)), readPercent: 80);
        return run;
    }

    private ConfigClusterClient NewClient(IEnumerable<NodeProcess> nodes, TimeSpan operationTimeout)
    {
        var options = new ConfigClusterClientOptions { Token = NodeProcess.AdminToken, OperationTimeout = operationTimeout };
        foreach (var node in nodes)
            options.Endpoints.Add(new Uri(node.GrpcUrl));
        var client = new ConfigClusterClient(options);
        clients.Add(client);
        return client;
    }

    private void Start(int id, ConfigClusterClient client, int readPercent)
        => workers.Add(Task.Run(() => Recorder.RunClientAsync(id, client, readPercent, stop.Token)));

    /// <summary>
    /// Makes the wall clock of <paramref name="node"/> read <paramref name="offsetMs"/> off the
    /// true time from now on (0 sets it right); the running node picks it up within 100 ms.
    /// </summary>
    public async Task SetClockOffsetAsync(int node, long offsetMs)
    {
        var file = Path.Combine(clockDirectory, Cluster[node].NodeId);
        await File.WriteAllTextAsync(file + ".tmp", offsetMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(file + ".tmp", file, overwrite: true);
    }

    /// <summary>Waits until the phase that began at <paramref name="at"/> has its floor of successful reads and writes.</summary>
    public async Task RequireFloorAsync(string phase, long at)
    {
        try
        {
            await Eventually.WaitAsync(() => Recorder.SuccessesSince(at) is { Reads: >= PhaseFloor, Writes: >= PhaseFloor }, Timeout, $"{PhaseFloor} successful reads and writes during '{phase}'");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: got {Recorder.SuccessesSince(at)}\n{Schedule}", e);
        }

        output.WriteLine($"{phase}: {Recorder.SuccessesSince(at)} successful since the fault");
    }

    /// <summary>
    /// Cuts the current leader off from its peers (the minority side: it and the client pinned to
    /// it); the majority elects a leader and serves. Before healing, waits for the phase floor
    /// on the majority and for <paramref name="minorityReads"/> reads tried on the old leader
    /// after the majority had acknowledged writes (a deposed leader that answers them from its
    /// own state serves stale reads).
    /// </summary>
    public async Task<Isolation> IsolateLeaderAsync(int minorityReads)
    {
        var leader = await Cluster.WaitForLeaderAsync(Timeout);
        Schedule.Record($"isolate leader {Cluster[leader].NodeId} (minority: it and client {PinnedClient(leader)}; majority: the rest)");
        await Lab.PartitionAsync(leader);
        var at = ChaosRecorder.Now;
        await RequireFloorAsync($"leader {Cluster[leader].NodeId} isolated", at);
        Schedule.Record("the majority served its floor of reads and writes");
        var moved = ChaosRecorder.Now;
        await Eventually.WaitAsync(() => Recorder.CompletedSince(moved, new HashSet<int> { PinnedClient(leader) }, OpKind.Read) >= minorityReads, Timeout, $"{minorityReads} reads tried on the isolated old leader");
        await Lab.HealAsync(leader);
        Schedule.Record($"heal {Cluster[leader].NodeId}");
        return new Isolation(leader, at, ChaosRecorder.Now);
    }

    /// <summary>Stops the workload; returns the history.</summary>
    public async Task<IReadOnlyList<Operation>> StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var history = Recorder.History;
        output.WriteLine(Schedule.ToString());
        output.WriteLine($"{history.Count} operations: {history.Count(static o => o.Outcome == Outcome.Ok)} ok, {history.Count(static o => o.IsAmbiguous)} ambiguous, failed: "
            + string.Join("; ", history.Where(static o => o.Outcome == Outcome.Failed).GroupBy(static o => $"{(o.IsWrite ? "write" : "read")} {o.Error}").OrderByDescending(static g => g.Count()).Select(static g => $"{g.Count()} {g.Key}")));
        return history;
    }

    /// <summary>The checker's verdict per key.</summary>
    public List<(string Key, bool Ok, string Explanation)> Check(IReadOnlyList<Operation> history)
    {
        var verdicts = new List<(string, bool, string)>();
        foreach (var group in history.GroupBy(static o => o.Key))
        {
            var (ok, explanation) = LinearizabilityChecker.Check([.. group]);
            output.WriteLine($"{group.Key}: {explanation}");
            verdicts.Add((group.Key, ok, explanation));
        }

        return verdicts;
    }

    // The namespaces and bridge are this machine's plumbing, not the system under test: if the
    // first set-up cannot elect a leader, say why (the harness reports reachability and logs)
    // and build a fresh one once more before failing.
    private static async Task<(NetworkLab Lab, TestCluster Cluster)> StartInLabAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? environment, string clockDirectory)
    {
        Task WithClockFile(NodeProcess node)
        {
            node.Environment = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
            {
                ["CONFIGCLUSTER_TEST_CLOCK_OFFSET_FILE"] = Path.Combine(clockDirectory, node.NodeId),
            };
            return Task.CompletedTask;
        }

        for (var attempt = 1; ; attempt++)
        {
            var lab = await NetworkLab.CreateAsync(3);
            try
            {
                return (lab, await TestCluster.StartAsync(lab: lab, beforeFirstStart: WithClockFile));
            }
            catch (TimeoutException e) when (attempt == 1)
            {
                output.WriteLine($"network lab set-up 1 failed, retrying with a fresh one: {e.Message}");
                await lab.DisposeAsync();
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        foreach (var client in clients)
            client.Dispose();
        if (Watches is not null)
            await Watches.DisposeAsync();
        stop.Dispose();
        await Cluster.DisposeAsync();
        await Lab.DisposeAsync();
        Directory.Delete(clockDirectory, recursive: true);
    }
}

/// <summary>A leader isolation: the old leader's index and when it was cut off and healed (monotonic ticks).</summary>
internal readonly record struct Isolation(int Leader, long From, long Until);
