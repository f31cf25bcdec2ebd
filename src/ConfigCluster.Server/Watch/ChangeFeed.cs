using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>
/// Publishes every change this node applies to its live subscribers (gRPC watches, WebSocket
/// watches, long-polls). Runs on the apply thread: it only offers events to bounded buffers.
/// </summary>
public sealed class ChangeFeed : IApplyObserver
{
    /// <summary>Events buffered per watcher before it is ended as too slow.</summary>
    public const int BufferCapacity = 1024;

    private readonly IVersionedStore store;
    private readonly Lock gate = new();
    private WatchSubscription[] subscriptions = [];
    private long revision;

    public ChangeFeed(IVersionedStore store)
    {
        this.store = store;
        revision = store.Revision;
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
            var subscription = new WatchSubscription(filter, revision, BufferCapacity, Unsubscribe);
            subscriptions = [.. subscriptions, subscription];
            return subscription;
        }
    }

    private void Unsubscribe(WatchSubscription subscription)
    {
        lock (gate)
            subscriptions = Array.FindAll(subscriptions, s => !ReferenceEquals(s, subscription));
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
            subscriptions = [];
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
            subscriptions = [];
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
            subscriptions = [];
        }
    }

}
