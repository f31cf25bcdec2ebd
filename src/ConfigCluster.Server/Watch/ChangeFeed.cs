using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
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

    void IApplyObserver.OnApplied(Command command, CommandResult result, long index)
    {
        if (result.Code != ResultCode.ResultOk || result.Deduplicated)
            return;
        lock (gate)
        {
            // Read the new version only when someone listens.
            var change = subscriptions.Length > 0 ? ReadChange(command, result) : null;
            foreach (var subscription in subscriptions)
                subscription.Offer(change, result.Revision);
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

    private StoredVersion? ReadChange(Command command, CommandResult result)
    {
        var key = command.OpCase switch
        {
            Command.OpOneofCase.Put => command.Put.Key,
            Command.OpOneofCase.Delete => command.Delete.Key,
            Command.OpOneofCase.Rollback => command.Rollback.Key,
            _ => null,
        };
        return KeyPath.TryFrom(key, out var path, out _) ? store.Get(path, result.Version) : null;
    }
}
