using System.Collections.Concurrent;
using System.Diagnostics;
using ConfigCluster.Client;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Concurrent clients (through the SDK) doing writes, compare-and-sets and linearizable reads
/// on a few keys, recording every operation with invocation and completion times, its outcome
/// and, when it did not succeed, the precise client error: only a timeout or an answer the
/// cluster marked ambiguous leaves an operation ambiguous.
/// </summary>
internal sealed class ChaosRecorder(IReadOnlyList<string> keys, int seed)
{
    private readonly ConcurrentQueue<Operation> history = new();

    public IReadOnlyList<Operation> History => [.. history];

    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>Runs one client until <paramref name="stop"/>; <paramref name="readPercent"/> of its operations are reads.</summary>
    public async Task RunClientAsync(int id, ConfigClusterClient client, int readPercent, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(seed, id));
        var lastVersion = new Dictionary<string, long>();
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var key = keys[random.Next(keys.Count)];
            var roll = random.Next(100);
            var invoked = Now;
            var value = $"\"c{id}-{n++}\"";
            if (roll < readPercent)
            {
                var read = await ReadAsync(client, id, key, invoked);
                if (read.Outcome == Outcome.Ok)
                    lastVersion[key] = read.Version;
                history.Enqueue(read);
            }
            else if (roll < readPercent + ((100 - readPercent) / 3))
            {
                var expected = lastVersion.GetValueOrDefault(key);
                history.Enqueue(await WriteAsync(id, key, OpKind.CompareAndSet, value, expected, invoked, () => client.PutAsync(key, value, expectedVersion: expected)));
            }
            else
            {
                history.Enqueue(await WriteAsync(id, key, OpKind.Write, value, 0, invoked, () => client.PutAsync(key, value)));
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
        catch (Exception e) when (Classify(e) is { } failure)
        {
            return new Operation(id, key, kind, value, expected, invoked, Now, failure.Outcome, 0, null, Mismatch: e is ConfigVersionMismatchException, Error: failure.Error);
        }
    }

    private static async Task<Operation> ReadAsync(ConfigClusterClient client, int id, string key, long invoked)
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
        catch (Exception e) when (Classify(e) is { } failure)
        {
            return new Operation(id, key, OpKind.Read, null, 0, invoked, Now, failure.Outcome, 0, null, Error: failure.Error);
        }
    }

    /// <summary>
    /// Ambiguous only for a timeout or an answer marked ambiguous; every other client error is a
    /// definite failure (the SDK documents that an unavailable write was not applied), named so
    /// a failed write that turns out applied can be reported with its error. Anything that is
    /// not a client error is a bug in the test and is not caught. SDK messages name keys and
    /// versions, never values.
    /// </summary>
    internal static (Outcome Outcome, string Error)? Classify(Exception e) => e switch
    {
        ConfigAmbiguousWriteException => (Outcome.Ambiguous, "ambiguous"),
        OperationCanceledException or TimeoutException => (Outcome.Ambiguous, "timeout"),
        ConfigVersionMismatchException => (Outcome.Failed, "version-mismatch"),
        ConfigUnavailableException => (Outcome.Failed, $"unavailable: {e.Message}"),
        ConfigClusterException other => (Outcome.Failed, $"{other.GetType().Name}({other.StatusCode}): {other.Message}"),
        _ => null,
    };

    /// <summary>Successful reads and writes invoked at or after <paramref name="at"/>.</summary>
    public (int Reads, int Writes) SuccessesSince(long at, Func<Operation, bool>? where = null)
    {
        int reads = 0, writes = 0;
        foreach (var op in history)
        {
            if (op.Invoked < at || op.Outcome != Outcome.Ok || (where is not null && !where(op)))
                continue;
            if (op.IsWrite)
                writes++;
            else
                reads++;
        }

        return (reads, writes);
    }

    /// <summary>Operations of the given clients invoked at or after <paramref name="at"/> that have completed (any outcome).</summary>
    public int CompletedSince(long at, IReadOnlySet<int> clients, OpKind kind)
        => history.Count(o => o.Invoked >= at && o.Kind == kind && clients.Contains(o.Client));

    /// <summary>How long after <paramref name="faultAt"/> the first write was acknowledged.</summary>
    public TimeSpan RecoveryAfter(long faultAt)
    {
        var first = history.Where(o => o.IsWrite && o.Outcome == Outcome.Ok && o.Invoked >= faultAt).Select(static o => o.Completed).DefaultIfEmpty(long.MaxValue).Min();
        return first == long.MaxValue ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(faultAt, first);
    }
}
