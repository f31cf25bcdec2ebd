using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>
/// Publishes every change this node applies to its live subscribers (gRPC watches, WebSocket
/// watches, long-polls). Runs on the apply thread: it only offers events to bounded buffers.
/// </summary>
/// <remarks>
/// It also keeps the one clock of every subscriber's idle deadline (progress marks, token
/// re-checks, long-poll waits): a timer that ticks every <see cref="ClockTick"/> while anyone is
/// subscribed and wakes the waits whose deadline has passed or whose request was cancelled, so
/// an idle watcher holds no timer and no cancellation registration.
/// </remarks>
public sealed class ChangeFeed : IApplyObserver, IDisposable
{
    /// <summary>Events buffered per watcher before it is ended as too slow.</summary>
    public const int BufferCapacity = 1024;

    /// <summary>
    /// How often idle deadlines are checked: a wait ends at most this much after its deadline.
    /// The shortest progress interval a gRPC watcher may ask for (50 ms).
    /// </summary>
    public static readonly TimeSpan ClockTick = TimeSpan.FromMilliseconds(50);

    private readonly IVersionedStore store;
    private readonly TimeProvider time;
    private readonly ITimer clock;
    private readonly Lock gate = new();
    private WatchSubscription[] subscriptions = [];
    private long revision;
    private bool disposed;

    public ChangeFeed(IVersionedStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        this.store = store;
        this.time = time;
        revision = store.Revision;
        clock = time.CreateTimer(static feed => ((ChangeFeed)feed!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The latest revision published.</summary>
    public long Revision => Volatile.Read(ref revision);

    /// <summary>Active subscriptions (watchers and waiting long-polls).</summary>
    public int SubscriberCount => Volatile.Read(ref subscriptions).Length;

    /// <summary>Starts a live subscription; changes after <see cref="WatchSubscription.SubscribedAt"/> arrive in it.</summary>
    public WatchSubscription Subscribe(WatchFilter filter)
    {
        lock (gate)
        {
            var subscription = new WatchSubscription(this, filter, revision, BufferCapacity);
            Replace([.. subscriptions, subscription]);
            return subscription;
        }
    }

    internal void Unsubscribe(WatchSubscription subscription)
    {
        lock (gate)
            Replace(Array.FindAll(subscriptions, s => !ReferenceEquals(s, subscription)));
    }

    /// <summary>A deadline <paramref name="idle"/> from now on the feed's clock, for <see cref="WatchSubscription.WaitAsync"/>.</summary>
    public long DueAfter(TimeSpan idle)
        => idle == Timeout.InfiniteTimeSpan ? long.MaxValue : time.GetTimestamp() + (long)(idle.TotalSeconds * time.TimestampFrequency);

    /// <summary>Whether the feed's clock has reached <paramref name="due"/>.</summary>
    public bool HasPassed(long due) => time.GetTimestamp() >= due;

    // Under the gate. The clock runs only while someone is subscribed. After disposal it is left
    // alone (ITimer does not promise what Change does then): a watch still unwinding at shutdown
    // may unsubscribe after the host disposed the feed.
    private void Replace(WatchSubscription[] next)
    {
        if (!disposed && (subscriptions.Length == 0) != (next.Length == 0))
        {
            var period = next.Length > 0 ? ClockTick : Timeout.InfiniteTimeSpan;
            clock.Change(period, period);
        }

        Volatile.Write(ref subscriptions, next);
    }

    private void Tick()
    {
        var now = time.GetTimestamp();
        foreach (var subscription in Volatile.Read(ref subscriptions))
            subscription.WakeIfDue(now);
    }

    void IApplyObserver.OnAttached(long attachedAt)
    {
        // The WAL replays from its construction on, so the store may be past the revision this feed
        // was built with, and those changes were never offered: start from where the store stands.
        // A subscription taken before (none is expected: the host attaches before it serves) could
        // have a gap, so it ends and its watcher resumes.
        lock (gate)
        {
            foreach (var subscription in subscriptions)
                subscription.End(WatchEndReason.StateReplaced);
            Replace([]);
            Volatile.Write(ref revision, attachedAt);
        }
    }

    void IApplyObserver.OnApplied(Command command, CommandResult result, long index)
    {
        // Keyring and environment commands succeed without a new revision: nothing to publish.
        if (result.Code != ResultCode.ResultOk || result.Deduplicated || result.Revision <= Volatile.Read(ref revision))
            return;
        lock (gate)
        {
            // Read the new versions only when someone listens.
            var changes = subscriptions.Length > 0 ? store.GetChanges(result.Revision) : [];
            foreach (var subscription in subscriptions)
                subscription.Offer(changes, result.Revision);
            Volatile.Write(ref revision, result.Revision);
        }
    }

    void IApplyObserver.OnSnapshotInstalled(long index, long newRevision)
    {
        lock (gate)
        {
            foreach (var subscription in subscriptions)
                subscription.End(WatchEndReason.StateReplaced);
            Replace([]);
            Volatile.Write(ref revision, newRevision);
        }
    }

    /// <summary>Ends every subscription (node shutdown).</summary>
    public void EndAll()
    {
        lock (gate)
        {
            foreach (var subscription in subscriptions)
                subscription.End(WatchEndReason.ShuttingDown);
            Replace([]);
        }
    }

    /// <summary>Stops the clock (the host disposes the feed at shutdown).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            clock.Dispose();
        }
    }

}
