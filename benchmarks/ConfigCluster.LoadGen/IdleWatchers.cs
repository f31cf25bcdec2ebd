namespace ConfigCluster.LoadGen;

/// <summary>What idle watchers cost the node that serves them.</summary>
/// <param name="Watchers">Watch streams opened (all on one key that never changes).</param>
/// <param name="Opened">How many of them had their first message before the deadline.</param>
/// <param name="BeforeKiB">Resident memory of the node before the watchers opened.</param>
/// <param name="AfterKiB">Resident memory once every watcher had its first message.</param>
internal sealed record IdleWatchersResult(string Target, int Watchers, int Opened, double BeforeKiB, double AfterKiB)
{
    public double PerWatcherKiB => Opened == 0 ? 0 : (AfterKiB - BeforeKiB) / Opened;
}

/// <summary>
/// The idle-watch workload: N watch streams on a key nobody writes, with ConfigCluster's default
/// progress interval (5 s), and the watched node's resident memory before and after. A watcher
/// counts as open at its first message (ConfigCluster: the first progress mark; etcd: "created").
/// A first round of 20 watchers, opened and closed, runs the watch path once before the measurement.
/// With a hold, the streams stay open that long after the reading (to take a heap dump of the node meanwhile).
/// With mux (ConfigCluster only), the watchers are watches on WatchMany streams, one stream per connection,
/// and a watcher counts as open at its created answer.
/// </summary>
internal static class IdleWatchers
{
    private const int DefaultProgressIntervalMs = 5_000;

    public static async Task<IdleWatchersResult> RunAsync(ITarget target, ServerProcesses servers, int watchers, TimeSpan hold, bool mux, int connections)
    {
        if (mux && target is not ConfigClusterTarget)
            throw new ArgumentException("--mux needs --target configcluster (WatchMany)");
        if (servers.Pids.Count != 1)
            throw new ArgumentException("idle-watch measures one node: pass one endpoint and its --pids");
        var pid = servers.Pids[0];
        // One round of a few watchers first, opened and closed: the node then has run the watch path
        // once (code compiled, pools and tables created), so the figure is what each further watcher holds.
        await OpenAsync(target, Math.Min(watchers, 20), close: true, mux, connections);
        var before = servers.RssMiB(pid) * 1024;
        var (opened, streams, stop) = await OpenAsync(target, watchers, close: false, mux, connections);
        var after = servers.RssMiB(pid) * 1024;
        if (hold > TimeSpan.Zero)
        {
            Console.Error.WriteLine($"idle-watch: {opened} streams open, held for {hold.TotalSeconds:0} s");
            await Task.Delay(hold);
        }

        await stop.CancelAsync();
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30));
        stop.Dispose();
        return new IdleWatchersResult(target.Name, watchers, opened, before, after);
    }

    private static async Task<(int Opened, List<Task> Streams, CancellationTokenSource Stop)> OpenAsync(ITarget target, int watchers, bool close, bool mux, int connections)
    {
        var stop = new CancellationTokenSource();
        var ready = Enumerable.Range(0, watchers).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var streams = mux
            // One WatchMany stream per connection; watcher w is watch w / connections on stream w % connections.
            ? Enumerable.Range(0, Math.Min(connections, watchers)).Select(c => Task.Run(async () =>
            {
                var mine = ready.Where((_, w) => w % connections == c).ToArray();
                try
                {
                    await ((ConfigClusterTarget)target).WatchManyAsync(c, "bench.idle", mine, stop.Token, DefaultProgressIntervalMs);
                }
                catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException)
                {
                }
            })).ToList()
            : Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
            {
                try
                {
                    await target.WatchAsync(w, "bench.idle", static _ => { }, ready[w], stop.Token, DefaultProgressIntervalMs);
                }
                catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException)
                {
                }
            })).ToList();

        try
        {
            await Task.WhenAll(ready.Select(static r => r.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // reported as Opened < Watchers
        }

        var opened = ready.Count(static r => r.Task.IsCompletedSuccessfully);
        if (close)
        {
            await stop.CancelAsync();
            await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30));
            stop.Dispose();
        }

        return (opened, streams, stop);
    }
}
