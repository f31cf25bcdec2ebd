using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// A rolling upgrade with a real previous build (<see cref="PreviousRelease"/>, built once from
/// this repository's history and cached under /tmp): three nodes of the previous release take a
/// light write load while each is stopped and started again on the current build, one at a time;
/// one node is rolled back to the previous build and forward again before the cluster's version
/// moves. No acknowledged write is lost, the digests agree, and the newer operations switch on
/// only once every member runs the current build.
/// </summary>
public sealed class UpgradeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WriteBound = TimeSpan.FromSeconds(35);

    // Whether the test process itself was starved (a timer that cannot fire looks like a hung node).
    private static string PoolState()
        => $"{ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} queued, {ThreadPool.CompletedWorkItemCount} completed";

    [PreviousReleaseFact]
    public async Task RollingUpgrade_FromThePreviousRelease_UnderLoad_LosesNoAcknowledgedWrite_AndDigestsAgree()
    {
        var previous = await PreviousRelease.BuildAsync();
        var masterKey = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) };
        await using var cluster = await TestCluster.StartAsync(environment: masterKey, beforeFirstStart: node =>
        {
            node.BinaryPath = previous;
            return Task.CompletedTask;
        });

        // The load: one writer, a new key per write, sent to the running nodes in turn (followers forward).
        var acknowledged = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var inFlight = "";
        var load = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var node = cluster.Nodes[i % 3];
                if (!node.IsRunning)
                    continue;
                try
                {
                    inFlight = $"{node.NodeId} up.k{i:D5} since {DateTime.UtcNow:HH:mm:ss.fff}";
                    // Bounded here as well as by the client's own timeout, so no single write can stop the load.
                    var (status, body) = await node.Http.PutValueAsync($"up.k{i:D5}", i).WaitAsync(WriteBound);
                    if (status == HttpStatusCode.OK)
                    {
                        acknowledged[$"up.k{i:D5}"] = i;
                        Interlocked.Increment(ref writes);
                    }
                    else
                        failures.Enqueue($"{node.NodeId} up.k{i:D5}: {(int)status} {body?.ToJsonString()}");
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue($"{node.NodeId} up.k{i:D5}: {e.Message}"); // the node went down under the request
                }
                catch (TimeoutException)
                {
                    failures.Enqueue($"{node.NodeId} up.k{i:D5}: no answer within {WriteBound.TotalSeconds:0} s, past the client's own timeout ({(node.BinaryPath == previous ? "previous" : "current")} build); test process pool: {PoolState()}");
                }
                catch (TaskCanceledException) when (!stop.IsCancellationRequested)
                {
                    // No answer within the client's timeout: a failure to report (and a node to look
                    // at), never the end of the load.
                    failures.Enqueue($"{node.NodeId} up.k{i:D5}: no answer within {node.Http.Timeout.TotalSeconds:0} s ({(node.BinaryPath == previous ? "previous" : "current")} build){StallStacks.Capture(node)}");
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // Anything else is a failed write to report, not the end of the load: an escaped
                    // exception (IsRunning of a node being restarted, since fixed in NodeProcess) once
                    // ended it silently, and the test timed out with the last write shown "in flight".
                    failures.Enqueue($"{node.NodeId} up.k{i:D5}: {e.GetType().Name}: {e.Message}");
                }
            }
        });

        async Task WaitForProgressAsync(string what)
        {
            var seen = Volatile.Read(ref writes);
            try
            {
                await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref writes) >= seen + 10 || load.IsCompleted), Timeout, $"writes to go on {what}");
                if (load.IsCompleted)
                    throw new TimeoutException($"the load ended {what}: {load.Exception?.InnerException}");
            }
            catch (TimeoutException e)
            {
                // Say why: the writes that failed meanwhile and what each node logged last.
                var logs = cluster.Nodes.Select(n => $"--- {n.NodeId} ({(n.BinaryPath == previous ? "previous" : "current")} build):\n{string.Join('\n', n.Log.Split('\n').TakeLast(25))}");
                throw new TimeoutException($"{e.Message}; in flight: {inFlight}; test process pool: {PoolState()}; {writes - seen} writes meanwhile; last failures:\n{string.Join('\n', failures.TakeLast(10))}\n{string.Join('\n', logs)}", e);
            }
        }

        async Task RollAsync(int index, string binary)
        {
            await cluster[index].StopAsync();
            cluster[index].BinaryPath = binary;
            await cluster.StartNodeAsync(index);
            await cluster.WaitForLeaderAsync(Timeout);
            await WaitForProgressAsync($"after {cluster[index].NodeId} restarted on {(binary == previous ? "the previous" : "the current")} build");
        }

        await WaitForProgressAsync("on the previous release");
        await RollAsync(0, ServerBinary.Path);
        await RollAsync(1, ServerBinary.Path);

        // Mixed (two current, one previous): a newer kind of operation is refused, wherever it is sent.
        foreach (var node in new[] { cluster[0], cluster[1] })
        {
            var (refused, answer) = await node.Http.SendAsync(HttpMethod.Post, "/v1/transit/keys/upgrade", "{}");
            Assert.True(refused is HttpStatusCode.Conflict or HttpStatusCode.BadRequest, $"{node.NodeId}: {(int)refused} {answer?.ToJsonString()}");
            Assert.Contains("upgrade every member first", answer!.ToJsonString(), StringComparison.Ordinal);
        }

        // Roll one node back to the previous build (on the data the current build wrote), then forward again.
        await RollAsync(1, previous);
        await RollAsync(1, ServerBinary.Path);
        await RollAsync(2, ServerBinary.Path);

        await stop.CancelAsync();
        await load;
        await cluster.WaitForConvergenceAsync(Timeout);
        Assert.True(acknowledged.Count >= 50, $"only {acknowledged.Count} writes were acknowledged; failures: {string.Join("\n", failures.Take(20))}");
        foreach (var node in cluster.Nodes)
        {
            foreach (var (key, value) in acknowledged)
            {
                var (status, body) = await node.Http.GetJsonAsync($"/config/{key}?consistency=serializable");
                Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} lost acknowledged {key}: {(int)status}");
                Assert.Equal(value, body!["value"]!.GetValue<int>());
            }
        }

        // Every member runs the current build: the cluster's version moves and the newer operations switch on.
        await Eventually.WaitAsync(async () => (await cluster[2].Http.SendAsync(HttpMethod.Post, "/v1/transit/keys/upgrade", "{}")).Status == HttpStatusCode.OK,
            Timeout, "a transit key (a newer operation) to be accepted once every member runs the current build");
        await cluster.WaitForConvergenceAsync(Timeout);
    }
}
