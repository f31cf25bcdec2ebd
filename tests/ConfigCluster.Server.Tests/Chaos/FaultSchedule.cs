using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>
/// The seed a chaos run draws its choices from (order of faults, their targets and directions,
/// the clients' workloads) and the faults as they happened, to print with every verdict.
/// <c>CHAOS_SEED=n</c> replays a run's choices; which node leads at a given moment still
/// depends on timing, so the schedule names nodes by role as well as by id.
/// </summary>
internal sealed class FaultSchedule
{
    private readonly long start = Stopwatch.GetTimestamp();
    private readonly List<string> entries = [];

    public FaultSchedule()
    {
        Seed = int.TryParse(Environment.GetEnvironmentVariable("CHAOS_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : RandomNumberGenerator.GetInt32(1, int.MaxValue);
        Random = new Random(Seed);
    }

    public int Seed { get; }

    public Random Random { get; }

    public void Record(string fault)
    {
        lock (entries)
            entries.Add($"  +{Stopwatch.GetElapsedTime(start).TotalSeconds,6:0.0} s  {fault}");
    }

    /// <summary>Fisher–Yates with the run's seed.</summary>
    public List<T> Shuffle<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }

    public override string ToString()
    {
        lock (entries)
            return $"fault schedule, seed {Seed} (reproduce the choices with CHAOS_SEED={Seed}):\n{string.Join('\n', entries)}";
    }
}
