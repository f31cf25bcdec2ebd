namespace ConfigCluster.Client.Watching;

/// <summary>
/// Whether a long-lived watch is hearing from the cluster, and since when it is not: a watch is
/// up while its stream delivers messages (changes or the periodic progress), down from the
/// moment a stream breaks (or before the first one opens) until the next message. Read by the
/// health check; written by the watch loop. Thread-safe.
/// </summary>
internal sealed class WatchHealth(TimeProvider time)
{
    // Ticks of the UTC time it went down; 0 = up. Starts down: nothing was heard yet.
    private long downSinceTicks = time.GetUtcNow().UtcTicks;

    /// <summary>When the watch stopped hearing from the cluster, or null while it hears.</summary>
    public DateTimeOffset? DownSince
    {
        get
        {
            var ticks = Interlocked.Read(ref downSinceTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>A message arrived.</summary>
    public void Up() => Interlocked.Exchange(ref downSinceTicks, 0);

    /// <summary>The stream broke; keeps the earlier time when it was already down.</summary>
    public void Down() => Interlocked.CompareExchange(ref downSinceTicks, time.GetUtcNow().UtcTicks, 0);
}
