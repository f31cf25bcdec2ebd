using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// A cluster of real node processes on loopback for one test: start, kill -9, restart, wipe,
/// wait for a leader. Everything it started is killed and its data deleted on dispose.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string root = Path.Combine(Path.GetTempPath(), "cc-tests", Guid.NewGuid().ToString("N")[..12]);
    private readonly List<NodeProcess> nodes = [];

    private TestCluster()
    {
    }

    public IReadOnlyList<NodeProcess> Nodes => nodes;

    public NodeProcess this[int index] => nodes[index];

    /// <summary>The network namespaces the nodes run in, if any.</summary>
    public NetworkLab? Lab { get; private set; }

    public string Members => string.Join(',', nodes.Select(static n => n.RaftEndPoint));

    /// <summary>Starts <paramref name="count"/> nodes and waits until they agree on a leader.</summary>
    public static async Task<TestCluster> StartAsync(int count = 3, IReadOnlyList<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null, NetworkLab? lab = null,
        Func<int, IReadOnlyList<string>>? perNodeArguments = null, bool waitForLeader = true, Func<NodeProcess, Task>? beforeFirstStart = null)
    {
        var cluster = new TestCluster { Lab = lab };
        try
        {
            for (var i = 0; i < count; i++)
            {
                cluster.nodes.Add(new NodeProcess($"n{i + 1}", Path.Combine(cluster.root, $"n{i + 1}"), lab?.Address(i) ?? "127.0.0.1", lab?.Namespace(i))
                {
                    ExtraArguments = [.. arguments ?? [], .. perNodeArguments?.Invoke(i) ?? []],
                    Environment = environment ?? new Dictionary<string, string>(),
                });
            }

            foreach (var node in cluster.nodes)
            {
                if (beforeFirstStart is not null)
                    await beforeFirstStart(node);
                node.Start(cluster.Members);
            }
            foreach (var node in cluster.nodes)
                await node.WaitUntilLiveAsync(StartTimeout);
            if (waitForLeader)
            {
                await cluster.WaitForLeaderAsync(StartTimeout);
                await cluster.WaitForAccessAsync();
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the bootstrap token works on every running node.</summary>
    public Task WaitForAccessAsync() => Eventually.WaitAsync(async () =>
    {
        foreach (var node in nodes.Where(static n => n.IsRunning))
        {
            using var response = await node.Http.GetAsync("/config?limit=1&consistency=serializable");
            if (!response.IsSuccessStatusCode)
                return false;
        }

        return true;
    }, StartTimeout, "the bootstrap admin token to work on every node");

    /// <summary>Starts one more node with <c>--join</c> (not yet a member); returns its index.</summary>
    public async Task<int> StartJoiningNodeAsync()
    {
        var index = nodes.Count;
        var node = new NodeProcess($"n{index + 1}", Path.Combine(root, $"n{index + 1}"), nodes[0].Host == "127.0.0.1" ? "127.0.0.1" : throw new InvalidOperationException("joining nodes run on loopback clusters only"))
        {
            ExtraArguments = ["--join"],
        };
        nodes.Add(node);
        node.Start(Members);
        await node.WaitUntilLiveAsync(StartTimeout);
        return index;
    }

    public Task StartNodeAsync(int index)
    {
        nodes[index].Start(Members);
        return nodes[index].WaitUntilLiveAsync(StartTimeout);
    }

    public Task KillNodeAsync(int index) => nodes[index].KillAsync();

    public async Task RestartNodeAsync(int index)
    {
        await nodes[index].StopAsync();
        await StartNodeAsync(index);
    }

    public async Task WipeNodeAsync(int index)
    {
        await nodes[index].KillAsync();
        nodes[index].WipeData();
    }

    /// <summary>Waits until every running node names the same running leader; returns its index.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout)
    {
        var leader = -1;
        var seen = "";
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                string? agreed = null;
                var views = new List<string>();
                var agree = true;
                foreach (var node in nodes.Where(static n => n.IsRunning))
                {
                    var status = await StatusAsync(node);
                    var id = status["leaderId"]?.GetValue<string>();
                    views.Add($"{node.NodeId}: role {status["role"]}, term {status["term"]}, leader {id ?? "none"}");
                    agree &= id is not null && (agreed is null || agreed == id);
                    agreed ??= id;
                }

                seen = string.Join("; ", views);
                leader = agree ? nodes.FindIndex(n => n.NodeId == agreed && n.IsRunning) : -1;
                return leader >= 0;
            }, timeout, "a leader all running nodes agree on");
        }
        catch (TimeoutException e)
        {
            var reachability = Lab is null ? "" : "\n" + await Lab.ProbeAsync(nodes.Select(static n => (n.Host, n.RaftPort)).ToList());
            throw new TimeoutException($"{e.Message}; last seen: {seen}{reachability}\n{Logs()}", e);
        }

        return leader;
    }

    /// <summary>An index of a running node that is not the leader.</summary>
    public async Task<int> FollowerAsync()
    {
        var leader = await WaitForLeaderAsync(StartTimeout);
        return nodes.FindIndex(n => n.IsRunning && n != nodes[leader]);
    }

    public static async Task<JsonNode> StatusAsync(NodeProcess node, bool digest = false)
        => (await node.Http.GetFromJsonAsync<JsonNode>(digest ? "/cluster/status?digest=true" : "/cluster/status"))!;

    /// <summary>Waits until every running node has applied the same revision and reports the same digest.</summary>
    public async Task WaitForConvergenceAsync(TimeSpan timeout)
    {
        var seen = "";
        try
        {
            await Eventually.WaitAsync(async () =>
            {
                var digests = new HashSet<string>();
                var states = new List<string>();
                foreach (var node in nodes.Where(static n => n.IsRunning))
                {
                    var status = await StatusAsync(node, digest: true);
                    digests.Add(status["digest"]!.GetValue<string>());
                    states.Add($"{node.NodeId}: revision {status["revision"]}, applied {status["appliedIndex"]}, commit {status["commitIndex"]}, digest parts {status["digestParts"]?.ToJsonString()}");
                }

                seen = string.Join("; ", states);
                return digests.Count == 1;
            }, timeout, "all running nodes to report the same store digest");
        }
        catch (TimeoutException e)
        {
            var diff = await StoreDiff.DescribeAsync([.. nodes.Where(static n => n.IsRunning)]);
            // CONFIGCLUSTER_TEST_DUMP_LOGS_DIR: the whole log of every node, for a divergence hunt.
            if (System.Environment.GetEnvironmentVariable("CONFIGCLUSTER_TEST_DUMP_LOGS_DIR") is { Length: > 0 } dump)
            {
                Directory.CreateDirectory(dump);
                foreach (var node in nodes)
                    await File.WriteAllTextAsync(Path.Combine(dump, node.NodeId + ".log"), node.Log);
            }

            throw new TimeoutException($"{e.Message}; last seen: {seen}\n{diff}\n{Logs()}", e);
        }
    }

    /// <summary>The logs of every node, for a failure message.</summary>
    public string Logs(int tailLines = 40)
        => string.Join("\n", nodes.Select(n => $"--- {n.NodeId} ---\n" + string.Join('\n', n.Log.Split('\n').TakeLast(tailLines))));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
            await node.DisposeAsync();
        try
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the temp directory is cleaned by the OS.
        }
    }
}
