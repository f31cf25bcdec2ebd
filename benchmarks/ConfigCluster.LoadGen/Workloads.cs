using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace ConfigCluster.LoadGen;

/// <summary>One workload's figures.</summary>
internal sealed record Result(string Target, string Workload, int Clients, long Operations, long Errors, double Seconds, LongHistogram Latency, long Lost = 0)
{
    /// <summary>leader-kill: the longest time without any acknowledged write around the kill, in ms.</summary>
    public double UnavailableMs { get; init; }

    public double OpsPerSecond => Operations / Seconds;

    public double Percentile(double p) => Latency.TotalCount == 0 ? 0 : Latency.GetValueAtPercentile(p) / 1000.0;

    public double MaxMs => Latency.TotalCount == 0 ? 0 : Latency.GetMaxValue() / 1000.0;
}

/// <summary>The workloads: a fixed number of async operations in flight, spread over the channels.</summary>
internal static class Workloads
{
    public static LongHistogram NewHistogram() => new(1, 60_000_000, 3); // microseconds, up to a minute

    /// <summary>Bytes in each written value (<c>--value-bytes</c>, default 256 as in the measurements).</summary>
    public static int ValueBytes { get; set; } = 256;

    /// <summary>A JSON string value of <see cref="ValueBytes"/> bytes in all (quotes included).</summary>
    private static string JsonValue(char fill = 'v') => $"\"{new string(fill, Math.Max(1, ValueBytes - 2))}\"";

    public static async Task<Result> RunAsync(ITarget target, string workload, int clients, TimeSpan duration, int keys)
    {
        var latency = NewHistogram();
        long operations = 0, errors = 0;
        var value = JsonValue();
        // cold-*: random keys among the ones `fill` wrote (bench.f*), most of them long out of any cache.
        var cold = workload.StartsWith("cold-", StringComparison.Ordinal);
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            var local = NewHistogram();
            while (!stop.IsCancellationRequested)
            {
                var key = cold ? $"bench.f{random.Next(keys)}" : $"bench.k{random.Next(keys)}";
                var started = Stopwatch.GetTimestamp();
                try
                {
                    switch (workload)
                    {
                        case "put":
                            await target.PutAsync(client, key, value, CancellationToken.None);
                            break;
                        case "get" or "cold-get":
                            await target.GetAsync(client, key, serializable: false, CancellationToken.None);
                            break;
                        case "get-serializable" or "cold-get-serializable":
                            await target.GetAsync(client, key, serializable: true, CancellationToken.None);
                            break;
                        case "mix":
                            if (random.Next(10) == 0)
                                await target.PutAsync(client, key, value, CancellationToken.None);
                            else
                                await target.GetAsync(client, key, serializable: false, CancellationToken.None);
                            break;
                        default:
                            throw new ArgumentException($"unknown workload {workload}");
                    }

                    local.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
                    Interlocked.Increment(ref operations);
                }
                catch (Grpc.Core.RpcException)
                {
                    Interlocked.Increment(ref errors);
                }
            }

            lock (latency)
                latency.Add(local);
        })).ToList();
        await Task.WhenAll(loops);
        return new Result(target.Name, workload, clients, operations, errors, clock.Elapsed.TotalSeconds, latency);
    }

    /// <summary>
    /// Puts keys <c>bench.f0</c> .. <c>bench.f{keys-1}</c> once each, <paramref name="clients"/> at a
    /// time (with 100k keys: the memory and restart workload).
    /// </summary>
    public static async Task<Result> FillAsync(ITarget target, int keys, int clients)
    {
        var latency = NewHistogram();
        long errors = 0;
        var value = JsonValue();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, keys), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (i, token) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await target.PutAsync(i, $"bench.f{i}", value, token);
                lock (latency)
                    latency.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
            }
            catch (Grpc.Core.RpcException)
            {
                Interlocked.Increment(ref errors);
            }
        });
        return new Result(target.Name, "fill", clients, keys - errors, errors, clock.Elapsed.TotalSeconds, latency);
    }

    /// <summary>
    /// Puts under load; a third of the way in, the leader's process is killed (kill -9). Reports
    /// the longest stretch without any acknowledged write: the unavailability window as clients see it.
    /// </summary>
    public static async Task<Result> LeaderKillAsync(ITarget target, ServerProcesses servers, int clients, TimeSpan duration)
    {
        var latency = NewHistogram();
        long errors = 0;
        var completions = new ConcurrentBag<long>();
        var value = JsonValue();
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await target.PutAsync(client, $"bench.k{random.Next(1000)}", value, attempt.Token);
                    completions.Add(Stopwatch.GetTimestamp());
                    lock (latency)
                        latency.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds));
                }
                catch (Exception e) when (e is Grpc.Core.RpcException or OperationCanceledException)
                {
                    Interlocked.Increment(ref errors);
                    await Task.Delay(5); // a dead node refuses at once: do not spin
                }
            }
        })).ToList();

        await Task.Delay(duration / 3);
        var leader = await target.LeaderIndexAsync(CancellationToken.None);
        var killedAt = Stopwatch.GetTimestamp();
        if (leader >= 0)
            servers.Kill(leader);
        await Task.WhenAll(loops);

        // Acknowledgements of writes committed just before the kill can still arrive right after
        // it, so the outage is the longest gap between consecutive acknowledgements from the kill on.
        var times = completions.Order().Prepend(killedAt).Where(t => t >= killedAt).Append(Stopwatch.GetTimestamp()).ToArray();
        var longest = 0L;
        for (var i = 1; i < times.Length; i++)
            longest = Math.Max(longest, times[i] - times[i - 1]);
        return new Result(target.Name, leader >= 0 ? "leader-kill" : "leader-kill (no leader found)", clients, completions.Count, errors, clock.Elapsed.TotalSeconds, latency)
        {
            UnavailableMs = longest * 1000.0 / Stopwatch.Frequency,
        };
    }

    /// <summary>Fills <paramref name="keys"/> keys so reads find values.</summary>
    public static async Task PreloadAsync(ITarget target, int keys)
    {
        var value = JsonValue();
        await Parallel.ForEachAsync(Enumerable.Range(0, keys), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, token) => await target.PutAsync(i, $"bench.k{i}", value, token));
    }

    /// <summary>
    /// N watchers on one key; a writer puts sequentially; latency is from the put's
    /// acknowledgement to the event at each watcher. Events that never arrive count as lost.
    /// </summary>
    public static async Task<Result> WatchFanOutAsync(ITarget target, int watchers, int puts)
    {
        var key = "bench.watched";
        var acknowledged = new ConcurrentDictionary<string, long>();
        var latency = NewHistogram();
        var received = new long[watchers];
        using var stop = new CancellationTokenSource();
        var readyAll = new List<Task>();
        var streams = new List<Task>();
        for (var w = 0; w < watchers; w++)
        {
            var index = w;
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            readyAll.Add(ready.Task);
            streams.Add(Task.Run(async () =>
            {
                try
                {
                    await target.WatchAsync(index, key, v =>
                    {
                        // An event that arrives before the writer saw the put's acknowledgement counts as 1 µs.
                        var now = Stopwatch.GetTimestamp();
                        var micros = acknowledged.TryGetValue(v, out var at) ? (long)Stopwatch.GetElapsedTime(at, now).TotalMicroseconds : 1;
                        lock (latency)
                            latency.RecordValue(Math.Max(1, micros));

                        Interlocked.Increment(ref received[index]);
                    }, ready, stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException)
                {
                }
            }));
        }

        await Task.WhenAll(readyAll).WaitAsync(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < puts; i++)
        {
            var v = $"\"w{i}\"";
            await target.PutAsync(0, key, v, CancellationToken.None);
            acknowledged[v] = Stopwatch.GetTimestamp();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (received.Sum() < (long)watchers * puts && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        await stop.CancelAsync();
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(10));
        var lost = (long)watchers * puts - received.Sum();
        return new Result(target.Name, $"watch x{watchers}", watchers, received.Sum(), 0, clock.Elapsed.TotalSeconds, latency, lost);
    }
}
