using System.Threading.Channels;
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
public sealed class WatchSubscription : IDisposable
{
    private readonly Channel<StoredVersion> buffer;
    private readonly Action<WatchSubscription> unsubscribe;
    private long seenThrough;

    internal WatchSubscription(WatchFilter filter, long subscribedAt, int capacity, Action<WatchSubscription> unsubscribe)
    {
        Filter = filter;
        SubscribedAt = subscribedAt;
        seenThrough = subscribedAt;
        this.unsubscribe = unsubscribe;
        buffer = Channel.CreateBounded<StoredVersion>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: we end the watch instead of dropping silently
        });
    }

    public WatchFilter Filter { get; }

    /// <summary>The node's revision when the subscription started: later changes arrive live.</summary>
    public long SubscribedAt { get; }

    /// <summary>
    /// Every matching change up to this revision has been written to the buffer. Read it
    /// BEFORE checking that the buffer is empty to report progress safely.
    /// </summary>
    public long SeenThrough => Volatile.Read(ref seenThrough);

    public ChannelReader<StoredVersion> Reader => buffer.Reader;

    // Called by the feed on the apply thread, under the feed's lock.
    internal void Offer(IReadOnlyList<StoredVersion> changes, long revision)
    {
        foreach (var change in changes)
        {
            if (Filter.Matches(change) && !buffer.Writer.TryWrite(change))
            {
                Observability.ServerMeters.DroppedWatchers.Add(1);
                End(WatchEndReason.Overflow);
                return;
            }
        }

        Volatile.Write(ref seenThrough, revision);
    }

    internal void End(WatchEndReason reason) => buffer.Writer.TryComplete(new WatchEndedException(reason));

    public void Dispose() => unsubscribe(this);
}
