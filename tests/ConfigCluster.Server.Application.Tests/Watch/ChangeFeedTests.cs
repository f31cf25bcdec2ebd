using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Watch;
using Google.Protobuf;

namespace ConfigCluster.Server.Application.Tests.Watch;

/// <summary>
/// The live side of a watch over a real store, with the feed's clock on fake time: what a
/// subscription buffers, when its waits end, and how it ends.
/// </summary>
public sealed class ChangeFeedTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    private readonly InProcessNode node = new();
    private readonly ChangeFeed feed;

    public ChangeFeedTests()
    {
        feed = new ChangeFeed(node.Store, node.Clock);
        node.Log.Observer = feed;
    }

    public void Dispose()
    {
        feed.Dispose();
        node.Dispose();
    }

    [Fact]
    public async Task WaitAsync_Idle_EndsAtItsDeadlineOnTheFeedsClock_NotBefore()
    {
        using var subscription = feed.Subscribe(WatchFilter.Exact(InProcessNode.Path("watched.key")));
        var wait = subscription.WaitAsync(feed.DueAfter(TimeSpan.FromSeconds(5)), CancellationToken.None).AsTask();

        node.Clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(wait.IsCompleted);
        node.Clock.Advance(ChangeFeed.ClockTick * 3);
        await wait.WaitAsync(Bounded);
        Assert.True(subscription.IsIdle);
    }

    [Fact]
    public async Task WaitAsync_MatchingChangeWhileWaiting_EndsTheWait_AndOtherKeysDoNot()
    {
        using var subscription = feed.Subscribe(WatchFilter.Exact(InProcessNode.Path("watched.key")));
        var wait = subscription.WaitAsync(feed.DueAfter(TimeSpan.FromMinutes(1)), CancellationToken.None).AsTask();

        Put("other.key", 1);
        Assert.True(subscription.IsIdle);
        var revision = Put("watched.key", 2);
        await wait.WaitAsync(Bounded);

        Assert.True(subscription.TryRead(out var change));
        Assert.Equal(revision, change.Revision);
        Assert.True(subscription.IsIdle);
        Assert.Equal(revision, subscription.SeenThrough);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ThrowsAtTheNextTick()
    {
        using var subscription = feed.Subscribe(WatchFilter.Exact(InProcessNode.Path("watched.key")));
        using var cts = new CancellationTokenSource();
        var wait = subscription.WaitAsync(feed.DueAfter(TimeSpan.FromMinutes(1)), cts.Token).AsTask();

        await cts.CancelAsync();
        node.Clock.Advance(ChangeFeed.ClockTick);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Bounded));
    }

    [Fact]
    public void Offer_BufferFull_EndsAsOverflow_OnlyOnceEveryBufferedChangeWasRead_InRevisionOrder()
    {
        using var subscription = feed.Subscribe(WatchFilter.Exact(InProcessNode.Path("watched.key")));
        var revisions = Enumerable.Range(0, ChangeFeed.BufferCapacity + 1).Select(i => Put("watched.key", i)).ToList();

        for (var i = 0; i < ChangeFeed.BufferCapacity; i++)
        {
            subscription.ThrowIfEnded(); // changes are still buffered: not ended yet
            Assert.True(subscription.TryRead(out var change));
            Assert.Equal(revisions[i], change.Revision);
        }

        Assert.False(subscription.TryRead(out _));
        var ended = Assert.Throws<WatchEndedException>(subscription.ThrowIfEnded);
        Assert.Equal(WatchEndReason.Overflow, ended.Reason);
        // Progress never claims the change that did not fit.
        Assert.True(subscription.SeenThrough < revisions[^1]);
    }

    [Fact]
    public void Dispose_WhileSubscribed_ThenTheSubscriptionEnds_DoesNotThrow()
    {
        // On the system clock, as a node runs: the feed leaves its disposed timer alone.
        var systemFeed = new ChangeFeed(node.Store, TimeProvider.System);
        var subscription = systemFeed.Subscribe(WatchFilter.Exact(InProcessNode.Path("watched.key")));
        systemFeed.Dispose(); // the host disposes the feed while a watch may still be unwinding
        subscription.Dispose();
        Assert.Equal(0, systemFeed.SubscriberCount);
    }

    [Fact]
    public async Task ReadAsync_Idle_ReportsProgressAtTheInterval_ThenEndsWhenTheFeedEnds()
    {
        var revision = Put("watched.key", 1);
        var reader = new WatchReader(feed, node.Store);
        await using var items = reader.ReadAsync(WatchFilter.Exact(InProcessNode.Path("watched.key")), null, TimeSpan.FromSeconds(1), CancellationToken.None).GetAsyncEnumerator();

        var next = items.MoveNextAsync().AsTask(); // subscribes, then waits
        Assert.Equal(1, feed.SubscriberCount);
        Assert.False(next.IsCompleted);
        node.Clock.Advance(TimeSpan.FromSeconds(1) + ChangeFeed.ClockTick);
        Assert.True(await next.WaitAsync(Bounded));
        Assert.Equal(new WatchItem(null, revision), items.Current);

        next = items.MoveNextAsync().AsTask();
        feed.EndAll();
        var ended = await Assert.ThrowsAsync<WatchEndedException>(() => next.WaitAsync(Bounded));
        Assert.Equal(WatchEndReason.ShuttingDown, ended.Reason);
    }

    private long Put(string key, int value)
    {
        var command = new Command { Author = "tester", Put = new PutOp { Key = InProcessNode.Path(key).ToStoreKey(), Value = ByteString.CopyFromUtf8(value.ToString(System.Globalization.CultureInfo.InvariantCulture)) } };
        var result = node.Log.ApplyDirect(command);
        Assert.Equal(ResultCode.ResultOk, result.Code);
        return result.Revision;
    }
}
