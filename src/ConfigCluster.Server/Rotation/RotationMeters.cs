using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ConfigCluster.Server.Observability;

namespace ConfigCluster.Server.Rotation;

/// <summary>
/// The rotation instruments, on the node's meter (exported at <c>/metrics</c>):
/// <c>configcluster_rotations_total{result="ok|failed"}</c> (rotations this node ran or tried as
/// leader), <c>configcluster_rotation_hooks_total{result="ok|failed"}</c> (hook calls), and
/// <c>configcluster_rotation_due_seconds{policy}</c>: on the leader, seconds until the policy's
/// next key is due (negative: overdue by that much). Every counter series exists from the first scrape.
/// </summary>
public static class RotationMeters
{
    private static readonly string[] Results = ["ok", "failed"];
    private static readonly long[] RotationCounts = new long[Results.Length];
    private static readonly long[] HookCounts = new long[Results.Length];
    private static readonly ConcurrentDictionary<string, double> DueSeconds = new(StringComparer.Ordinal);

    /// <summary>Rotations by result.</summary>
    public static readonly ObservableCounter<long> Rotations = ServerMeters.Meter.CreateObservableCounter("configcluster.rotations", static () => Observe(RotationCounts),
        description: "Secret rotations this node ran as leader, by result (ok, failed: sealed, no quorum, refused)");

    /// <summary>Hook calls by result.</summary>
    public static readonly ObservableCounter<long> Hooks = ServerMeters.Meter.CreateObservableCounter("configcluster.rotation.hooks", static () => Observe(HookCounts),
        description: "Rotation webhook calls by result (ok, failed); failed calls are retried with backoff");

    /// <summary>Seconds until each policy's next due rotation, on the leader.</summary>
    public static readonly ObservableGauge<double> Due = ServerMeters.Meter.CreateObservableGauge("configcluster.rotation.due_seconds", ObserveDue,
        description: "On the leader: seconds until a policy's next key is due for rotation (negative: overdue)");

    /// <summary>Counts one rotation attempt.</summary>
    public static void CountRotation(bool ok) => Interlocked.Increment(ref RotationCounts[ok ? 0 : 1]);

    /// <summary>Counts one hook call.</summary>
    public static void CountHook(bool ok) => Interlocked.Increment(ref HookCounts[ok ? 0 : 1]);

    /// <summary>Replaces the due gauge's values (the leader's last scheduling pass).</summary>
    public static void SetDue(IReadOnlyDictionary<string, double> due)
    {
        foreach (var name in DueSeconds.Keys.Where(name => !due.ContainsKey(name)))
            DueSeconds.TryRemove(name, out _);
        foreach (var (name, seconds) in due)
            DueSeconds[name] = seconds;
    }

    private static IEnumerable<Measurement<long>> Observe(long[] counts)
    {
        for (var i = 0; i < Results.Length; i++)
            yield return new Measurement<long>(Volatile.Read(ref counts[i]), new KeyValuePair<string, object?>("result", Results[i]));
    }

    private static IEnumerable<Measurement<double>> ObserveDue()
        => DueSeconds.Select(static d => new Measurement<double>(d.Value, new KeyValuePair<string, object?>("policy", d.Key)));
}
