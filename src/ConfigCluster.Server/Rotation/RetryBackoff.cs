namespace ConfigCluster.Server.Rotation;

/// <summary>
/// The leader-local retry schedule of the rotation schedulers (secret rotation policies, database
/// static roles and root rotations): per item id, failures in a row and when to try again, 0.5 s
/// doubling to 30 s. Not replicated: a new leader starts with a clean slate. Single-threaded (one
/// scheduler loop owns it).
/// </summary>
internal sealed class RetryBackoff(TimeProvider time)
{
    /// <summary>The first and the longest pause after a failure.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500), LastRetry = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, (int Failures, DateTimeOffset NotBefore)> retries = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="id"/> may be tried now (it never failed, or its pause is over).</summary>
    public bool Ready(string id) => !retries.TryGetValue(id, out var retry) || retry.NotBefore <= time.GetUtcNow();

    /// <summary>Records a failure of <paramref name="id"/>: failures in a row and the pause before the next try.</summary>
    public (int Failures, TimeSpan Pause) Failed(string id)
    {
        var failures = retries.TryGetValue(id, out var retry) ? retry.Failures + 1 : 1;
        var pause = TimeSpan.FromMilliseconds(Math.Min(LastRetry.TotalMilliseconds, FirstRetry.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16))));
        retries[id] = (failures, time.GetUtcNow() + pause);
        return (failures, pause);
    }

    /// <summary>Forgets <paramref name="id"/>'s failures (it succeeded).</summary>
    public void Succeeded(string id) => retries.Remove(id);

    /// <summary>Forgets everything (this node stopped leading).</summary>
    public void Clear() => retries.Clear();
}
