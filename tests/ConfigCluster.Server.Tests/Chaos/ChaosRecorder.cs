using System.Collections.Concurrent;
using System.Diagnostics;
using ConfigCluster.Client;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Concurrent clients (through the SDK, with failover) doing writes, compare-and-sets and
/// linearizable reads on a few keys, recording every operation with invocation and completion
/// times and its outcome (ok, failed, ambiguous).
/// </summary>
internal sealed class ChaosRecorder(ConfigClusterClient client, IReadOnlyList<string> keys)
{
    private readonly ConcurrentBag<Operation> history = [];

    public IReadOnlyList<Operation> History => [.. history];

    public static long Now => Stopwatch.GetTimestamp();

    public async Task RunClientAsync(int id, CancellationToken stop)
    {
        var random = new Random(id * 7919);
        var lastVersion = new Dictionary<string, long>();
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var key = keys[random.Next(keys.Count)];
            var roll = random.Next(100);
            var invoked = Now;
            if (roll < 40)
            {
                var value = $"\"c{id}-{n++}\"";
                history.Add(await WriteAsync(id, key, OpKind.Write, value, 0, invoked, () => client.PutAsync(key, value)));
            }
            else if (roll < 60)
            {
                var value = $"\"c{id}-{n++}\"";
                var expected = lastVersion.GetValueOrDefault(key);
                history.Add(await WriteAsync(id, key, OpKind.CompareAndSet, value, expected, invoked, () => client.PutAsync(key, value, expectedVersion: expected)));
            }
            else
            {
                var read = await ReadAsync(id, key, invoked);
                if (read.Outcome == Outcome.Ok)
                    lastVersion[key] = read.Version;
                history.Add(read);
            }
        }
    }

    private static async Task<Operation> WriteAsync(int id, string key, OpKind kind, string value, long expected, long invoked, Func<Task<Contracts.V1.WriteResponse>> call)
    {
        try
        {
            var result = await call();
            return new Operation(id, key, kind, value, expected, invoked, Now, Outcome.Ok, result.Version, null);
        }
        catch (ConfigVersionMismatchException)
        {
            return new Operation(id, key, kind, value, expected, invoked, Now, Outcome.Failed, 0, null, Mismatch: true);
        }
        catch (ConfigClusterException)
        {
            // Unavailable after retries may still have been applied on an earlier attempt.
            return new Operation(id, key, kind, value, expected, invoked, Now, Outcome.Ambiguous, 0, null);
        }
    }

    private async Task<Operation> ReadAsync(int id, string key, long invoked)
    {
        try
        {
            var kv = await client.GetAsync(key);
            return new Operation(id, key, OpKind.Read, null, 0, invoked, Now, Outcome.Ok, kv.Version, kv.ValueJson);
        }
        catch (ConfigNotFoundException)
        {
            return new Operation(id, key, OpKind.Read, null, 0, invoked, Now, Outcome.Ok, 0, null);
        }
        catch (ConfigClusterException)
        {
            return new Operation(id, key, OpKind.Read, null, 0, invoked, Now, Outcome.Failed, 0, null);
        }
    }

    /// <summary>How long after <paramref name="faultAt"/> the first write was acknowledged.</summary>
    public TimeSpan RecoveryAfter(long faultAt)
    {
        var first = History.Where(o => o.Kind != OpKind.Read && o.Outcome == Outcome.Ok && o.Invoked >= faultAt).Select(static o => o.Completed).DefaultIfEmpty(long.MaxValue).Min();
        return first == long.MaxValue ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(faultAt, first);
    }
}
