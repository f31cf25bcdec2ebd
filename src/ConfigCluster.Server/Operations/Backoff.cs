namespace ConfigCluster.Server.Operations;

/// <summary>
/// The pause between polls of a condition that another node or the Raft layer will change
/// (a leader to appear, a member list to arrive): short at first, doubling up to a ceiling, so
/// a quick change is seen quickly and a slow one is not polled hot. Waits on a
/// <see cref="TimeProvider"/>, so tests can move time. Not thread-safe: one per loop.
/// </summary>
public sealed class Backoff
{
    private readonly TimeProvider time;
    private readonly TimeSpan first;
    private readonly TimeSpan ceiling;
    private TimeSpan next;

    /// <param name="time">The clock to wait on.</param>
    /// <param name="first">The first pause. Default 10 ms.</param>
    /// <param name="ceiling">The longest pause. Default 100 ms.</param>
    public Backoff(TimeProvider time, TimeSpan? first = null, TimeSpan? ceiling = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        this.time = time;
        this.first = first ?? TimeSpan.FromMilliseconds(10);
        this.ceiling = ceiling ?? TimeSpan.FromMilliseconds(100);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(this.first, TimeSpan.Zero, nameof(first));
        ArgumentOutOfRangeException.ThrowIfLessThan(this.ceiling, this.first, nameof(ceiling));
        next = this.first;
    }

    /// <summary>Waits the current pause, then doubles it (up to the ceiling).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="token"/> fired.</exception>
    public async Task WaitAsync(CancellationToken token)
    {
        var pause = next;
        next = pause * 2 < ceiling ? pause * 2 : ceiling;
        await Task.Delay(pause, time, token);
    }

    /// <summary>Starts over from the first pause (after progress was made).</summary>
    public void Reset() => next = first;
}
