using System.Runtime.CompilerServices;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>One item of a watch: a change, or (when <see cref="Change"/> is null) a progress mark.</summary>
/// <param name="Revision">For a change its revision; for progress, every matching change up to it was delivered.</param>
public readonly record struct WatchItem(StoredVersion? Change, long Revision);

/// <summary>The requested start revision is older than the oldest kept.</summary>
public sealed class WatchCompactedException(long oldestRevision)
    : Exception($"revision is compacted; the oldest available revision is {oldestRevision}")
{
    public long OldestRevision { get; } = oldestRevision;
}

/// <summary>
/// Turns a subscription into the stream a watcher sees: first the kept history after the start
/// revision, then live changes, with no gap and no duplicate across the switch (the live
/// subscription starts before the replay, and live changes at or below the replayed revision
/// are dropped), and progress marks while idle.
/// </summary>
public sealed class WatchReader(ChangeFeed feed, IVersionedStore store)
{
    /// <exception cref="WatchCompactedException">The start revision is no longer kept.</exception>
    /// <exception cref="WatchEndedException">The feed ended the watch (overflow, snapshot install, shutdown).</exception>
    public async IAsyncEnumerable<WatchItem> ReadAsync(WatchFilter filter, long? startRevision, TimeSpan progressInterval,
        [EnumeratorCancellation] CancellationToken token, WatchAccess? access = null)
    {
        using var subscription = feed.Subscribe(filter);
        var floor = subscription.SubscribedAt;
        if (startRevision is { } from)
        {
            if (from < store.OldestRevision - 1)
                throw new WatchCompactedException(store.OldestRevision);
            for (var revision = from + 1; revision <= subscription.SubscribedAt; revision++)
            {
                token.ThrowIfCancellationRequested();
                var changes = await store.GetChangesAsync(revision, token);
                // Compaction publishes its new horizon before it empties any record: a revision
                // read below it may have lost its records meanwhile, so that is a compacted
                // error too, not a gap.
                if (revision < store.OldestRevision)
                    throw new WatchCompactedException(store.OldestRevision);
                foreach (var change in changes)
                {
                    if (access?.Allows(change) != false && await filter.MatchesAsync(change, token))
                        yield return new WatchItem(change, revision);
                }
            }

            floor = Math.Max(floor, from);
        }

        while (true)
        {
            if (access?.StillValid() == false)
                throw new WatchEndedException(WatchEndReason.AccessRevoked);
            while (subscription.TryRead(out var change))
            {
                if (change.Revision > floor && access?.Allows(change) != false)
                    yield return new WatchItem(change, change.Revision);
            }

            subscription.ThrowIfEnded(); // once the buffer is drained
            var due = feed.DueAfter(progressInterval);
            do
            {
                await subscription.WaitAsync(due, token);
            }
            while (subscription.IsIdle && !feed.HasPassed(due));

            // Idle for the interval: report progress only when nothing is waiting in the buffer.
            var seen = subscription.SeenThrough;
            if (subscription.IsIdle)
                yield return new WatchItem(null, Math.Max(seen, floor));
        }
    }
}
