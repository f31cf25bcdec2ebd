using System.Threading.Tasks.Sources;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>Why the feed ended a subscription.</summary>
public enum WatchEndReason
{
    /// <summary>The watcher did not keep up and its buffer filled.</summary>
    Overflow,

    /// <summary>The node replaced its state from a snapshot; events may have been skipped.</summary>
    StateReplaced,

    /// <summary>The node is shutting down.</summary>
    ShuttingDown,

    /// <summary>The watcher's token was revoked or expired.</summary>
    AccessRevoked,
}

/// <summary>Thrown by a subscription's reader when the feed ended it.</summary>
public sealed class WatchEndedException(WatchEndReason reason) : Exception($"watch ended: {reason}")
{
    public WatchEndReason Reason { get; } = reason;
}

/// <summary>
/// One watcher's live feed: a bounded buffer the apply thread writes to without waiting.
/// When the buffer is full the subscription ends (the watcher resumes from its last revision),
/// so a slow watcher costs bounded memory and never slows apply.
/// </summary>
/// <remarks>
/// Thousands of these sit idle on a node, so an idle one holds little: the buffer grows only
/// with what is in it, one waiter is reused for every wait (this object is its own
/// <see cref="IValueTaskSource"/>), and the idle deadline and the wait's cancellation are
/// checked by the feed's one shared clock rather than a timer, a linked token source and a
/// token registration per wait.
/// </remarks>
public sealed class WatchSubscription : IDisposable, IValueTaskSource
{
    private const int NotEnded = -1;

    private readonly ChangeFeed feed;
    private readonly int capacity;
    private readonly Queue<StoredVersion> buffer = new(); // guards itself and `ended`
    private int ended = NotEnded; // a WatchEndReason once ended
    private long seenThrough;

    // The one wait in progress: `waiting` is 1 from its start until one waker claims it.
    private ManualResetValueTaskSourceCore<bool> waiter = new() { RunContinuationsAsynchronously = true };
    private int waiting;
    private long idleDue = long.MaxValue;
    private CancellationToken waitToken;

    internal WatchSubscription(ChangeFeed feed, WatchFilter filter, long subscribedAt, int capacity)
    {
        this.feed = feed;
        Filter = filter;
        SubscribedAt = subscribedAt;
        seenThrough = subscribedAt;
        this.capacity = capacity;
    }

    public WatchFilter Filter { get; }

    /// <summary>The node's revision when the subscription started: later changes arrive live.</summary>
    public long SubscribedAt { get; }

    /// <summary>
    /// Every matching change up to this revision has been written to the buffer. Read it
    /// BEFORE checking <see cref="IsIdle"/> to report progress safely.
    /// </summary>
    public long SeenThrough => Volatile.Read(ref seenThrough);

    /// <summary>Nothing is buffered and the subscription has not ended.</summary>
    public bool IsIdle
    {
        get
        {
            lock (buffer)
                return buffer.Count == 0 && ended == NotEnded;
        }
    }

    /// <summary>Takes the oldest buffered change; false when none is buffered.</summary>
    public bool TryRead(out StoredVersion change)
    {
        lock (buffer)
            return buffer.TryDequeue(out change!);
    }

    /// <summary>
    /// Throws the end once every change buffered before it has been read, as a channel's
    /// completion would.
    /// </summary>
    /// <exception cref="WatchEndedException">The feed ended the subscription and its buffer is empty.</exception>
    public void ThrowIfEnded()
    {
        int reason;
        lock (buffer)
            reason = buffer.Count == 0 ? ended : NotEnded;
        if (reason != NotEnded)
            throw new WatchEndedException((WatchEndReason)reason);
    }

    /// <summary>
    /// Waits until a change is buffered, the subscription ends, or the feed's clock reaches
    /// <paramref name="idleDue"/> (from <see cref="ChangeFeed.DueAfter"/>); the deadline and
    /// <paramref name="token"/> are checked every <see cref="ChangeFeed.ClockTick"/>, so a
    /// cancelled wait ends within a tick. It may also return early, so callers wait in a loop
    /// until <see cref="IsIdle"/> is false or <see cref="ChangeFeed.HasPassed"/> the deadline.
    /// One wait at a time (a single reader).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="token"/> was cancelled.</exception>
    public ValueTask WaitAsync(long idleDue, CancellationToken token)
    {
        waiter.Reset();
        waitToken = token;
        Volatile.Write(ref this.idleDue, idleDue);
        // A full fence: a waker that runs after this sees the wait, or this sees its cause below.
        Interlocked.Exchange(ref waiting, 1);
        if ((!IsIdle || token.IsCancellationRequested || feed.HasPassed(idleDue)) && Interlocked.Exchange(ref waiting, 0) == 1)
        {
            token.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, waiter.Version);
    }

    // Called by the feed on the apply thread, under the feed's lock.
    internal void Offer(IReadOnlyList<StoredVersion> changes, long revision)
    {
        var offered = false;
        foreach (var change in changes)
        {
            if (!Filter.Matches(change))
                continue;
            lock (buffer)
            {
                if (ended != NotEnded)
                    return;
                if (buffer.Count >= capacity)
                {
                    // Full: end the watch rather than drop silently; it resumes from what it was sent.
                    ended = (int)WatchEndReason.Overflow;
                    Observability.ServerMeters.DroppedWatchers.Add(1);
                }
                else
                {
                    buffer.Enqueue(change);
                    offered = true;
                    continue;
                }
            }

            Wake();
            return;
        }

        Volatile.Write(ref seenThrough, revision);
        if (offered)
            Wake();
    }

    internal void End(WatchEndReason reason)
    {
        lock (buffer)
        {
            if (ended == NotEnded)
                ended = (int)reason;
        }

        Wake();
    }

    // The feed's clock tick: ends a wait whose idle deadline has passed or whose token was cancelled.
    internal void WakeIfDue(long now)
    {
        if (Volatile.Read(ref waiting) == 1 && (now >= Volatile.Read(ref idleDue) || waitToken.IsCancellationRequested))
            Wake();
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref waiting, 0) == 1)
            waiter.SetResult(true);
    }

    public void Dispose() => feed.Unsubscribe(this);

    void IValueTaskSource.GetResult(short token)
    {
        waiter.GetResult(token);
        waitToken.ThrowIfCancellationRequested();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => waiter.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => waiter.OnCompleted(continuation, state, token, flags);
}
