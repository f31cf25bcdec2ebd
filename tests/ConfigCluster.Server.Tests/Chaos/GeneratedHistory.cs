namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// Builds a valid (linearizable) history by running a true register per key and giving each
/// operation an interval around its linearization point: up to eight clients, each with one
/// operation at a time, overlapping each other. Some writes are ambiguous, half of them applied.
/// </summary>
internal static class GeneratedHistory
{
    public static List<Operation> Create(int operations, int keys, int seed)
    {
        var random = new Random(seed);
        var registers = new (long Version, string? Value)[keys];
        var busyUntil = new long[8];
        var history = new List<Operation>(operations);
        var time = 0L;
        for (var n = 0; n < operations; n++)
        {
            time += 10;
            var free = Enumerable.Range(0, busyUntil.Length).Where(c => busyUntil[c] < time).ToList();
            if (free.Count == 0)
            {
                n--;
                continue;
            }

            var client = free[random.Next(free.Count)];
            var invoked = Math.Max(busyUntil[client] + 1, time - random.Next(1, 40));
            var completed = time + random.Next(1, 40);
            busyUntil[client] = completed;
            var k = random.Next(keys);
            var key = $"k{k}";
            var (version, current) = registers[k];
            var value = $"\"c{client}-{n}\"";
            var roll = random.Next(100);
            if (roll < 2)
            {
                // Ambiguous: half of them took effect.
                var applied = roll == 0;
                if (applied)
                    registers[k] = (version + 1, value);
                history.Add(new(client, key, OpKind.Write, value, 0, invoked, completed, Outcome.Ambiguous, 0, null, Error: "timeout"));
            }
            else if (roll < 35)
            {
                registers[k] = (version + 1, value);
                history.Add(new(client, key, OpKind.Write, value, 0, invoked, completed, Outcome.Ok, version + 1, null));
            }
            else if (roll < 45)
            {
                registers[k] = (version + 1, value);
                history.Add(new(client, key, OpKind.CompareAndSet, value, version, invoked, completed, Outcome.Ok, version + 1, null));
            }
            else if (roll < 50)
            {
                history.Add(new(client, key, OpKind.CompareAndSet, value, version + 1, invoked, completed, Outcome.Failed, 0, null, Mismatch: true, Error: "version-mismatch"));
            }
            else
            {
                history.Add(new(client, key, OpKind.Read, null, 0, invoked, completed, Outcome.Ok, version, current));
            }
        }

        return history;
    }
}
