using System.Net;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Watches on a node that has just restarted: the node replays its log into the store while it
/// starts, and a watch opened then must still deliver every change (chaos finding of 2026-12-06:
/// a resumed watch skipped reg.c versions 19 to 68).
/// </summary>
public sealed class WatchAfterRestartTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Keys = ["restart.k0", "restart.k1", "restart.k2", "restart.k3"];

    [Fact]
    public async Task GrpcWatch_OpenedRightAfterAFullRestart_DeliversEveryReplayedAndNewChange()
    {
        const int writes = 4000;
        await using var cluster = await TestCluster.StartAsync();
        var leader = cluster[await cluster.WaitForLeaderAsync(Timeout)];

        // Thousands of entries after the last checkpoint (there is none yet: 10,000 entries apart),
        // so each node replays them all at its next start. Few writers, so that few writes share
        // an entry: the replay takes a while.
        var next = 0;
        var written = new int[Keys.Length];
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) <= writes;)
            {
                await leader.Http.MustPutAsync(Keys[i % Keys.Length], i);
                Interlocked.Increment(ref written[i % Keys.Length]);
            }
        })));

        for (var node = 0; node < cluster.Nodes.Count; node++)
            await cluster.KillNodeAsync(node);
        for (var node = 0; node < cluster.Nodes.Count; node++)
            await cluster.StartNodeAsync(node);

        // The watch opens as soon as node n1 answers (503 while it knows no token yet: try again).
        using var cts = new CancellationTokenSource(Timeout);
        var seen = new List<KeyValue>();
        var watching = Task.Run(async () =>
        {
            while (true)
            {
                lock (seen)
                    seen.Clear(); // each stream replays from 0
                try
                {
                    using var call = new Watch.WatchClient(cluster[0].Grpc).Watch(new WatchRequest { Prefix = "restart.", StartRevision = 0, ProgressIntervalMs = 100 }, cancellationToken: cts.Token);
                    while (await call.ResponseStream.MoveNext(cts.Token))
                    {
                        lock (seen)
                            seen.AddRange(call.ResponseStream.Current.Events);
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && !cts.IsCancellationRequested)
                {
                    await Task.Delay(50, cts.Token);
                }
            }
        });

        // A change made after the restart arrives live, behind everything replayed.
        await Eventually.WaitAsync(async () => (await cluster[0].Http.PutValueAsync("restart.zz-end", 0)).Status == HttpStatusCode.OK, Timeout, "a write after the restart");
        await Eventually.WaitAsync(() =>
        {
            if (watching.IsFaulted)
                throw new InvalidOperationException("the watch failed", watching.Exception);
            lock (seen)
                return seen.Any(static e => e.Path.Key == "restart.zz-end");
        }, Timeout, "the watch to deliver the write made after the restart");
        await cts.CancelAsync();

        List<KeyValue> events;
        lock (seen)
            events = [.. seen];
        output.WriteLine($"{events.Count} events; revisions {events[0].Revision}..{events[^1].Revision}");
        Assert.Equal(events.Select(static e => e.Revision).Order(), events.Select(static e => e.Revision));
        for (var k = 0; k < Keys.Length; k++)
        {
            var versions = events.Where(e => e.Path.Key == Keys[k]).Select(static e => e.Version).ToList();
            Assert.True(versions.SequenceEqual(Enumerable.Range(1, written[k]).Select(static v => (long)v)),
                $"{Keys[k]}: {written[k]} versions written, the watch delivered {versions.Count}; first missing: {Enumerable.Range(1, written[k]).FirstOrDefault(v => !versions.Contains(v))}");
        }
    }
}
