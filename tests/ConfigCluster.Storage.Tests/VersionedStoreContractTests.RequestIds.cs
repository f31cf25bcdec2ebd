using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Request-id deduplication is bounded: ids are forgotten once the log's own time has moved past
// the window, the same way on every replica (after a restart or a snapshot install too).
public abstract partial class VersionedStoreContractTests
{
    private static readonly long WindowMs = (long)FasterVersionedStore.RequestIdWindow.TotalMilliseconds;

    private static Command PutWithId(string requestId, string key, string json, long timestampUnixMs) => new()
    {
        RequestId = requestId,
        Author = StoreCommands.DefaultAuthor,
        TimestampUnixMs = timestampUnixMs,
        Put = new PutOp { Key = StoreCommands.Path(key).ToStoreKey(), Value = ByteString.CopyFromUtf8(json) },
    };

    [Fact]
    public void Apply_RetryJustInsideTheWindow_IsDeduplicated()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var start = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds();
        commands.Apply(PutWithId("req-a", "k", "1", start));
        commands.Apply(PutWithId("other", "x", "1", start + WindowMs - 1));

        var retry = commands.Apply(PutWithId("req-a", "k", "1", start + WindowMs - 1));

        Assert.True(retry.Deduplicated);
        Assert.Single(store.History(StoreCommands.Path("k")));
    }

    [Fact]
    public void Apply_RetryAfterTheWindow_IsAppliedAgain()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var start = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds();
        commands.Apply(PutWithId("req-a", "k", "1", start));

        var late = commands.Apply(PutWithId("req-a", "k", "1", start + WindowMs + 1));

        Assert.False(late.Deduplicated);
        Assert.Equal(2, store.History(StoreCommands.Path("k")).Count);
    }

    [Fact]
    public void Apply_ManyIdsOverTime_RemembersOnlyThoseInsideTheWindow()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var start = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds();
        const int Count = 3000;
        for (var i = 0; i < Count; i++)
            commands.Apply(PutWithId($"req-{i}", "k", $"{i}", start + (i * (WindowMs / 1000))));

        // Ids of the last ~1,000 entries are inside the window; everything older was forgotten.
        Assert.InRange(((FasterVersionedStore)store).RememberedRequestCount, 900, 1100);
        Assert.True(commands.Apply(PutWithId($"req-{Count - 1}", "k", "dup", start + ((Count - 1) * (WindowMs / 1000)))).Deduplicated);
        Assert.False(commands.Apply(PutWithId("req-0", "k", "again", start + ((Count - 1) * (WindowMs / 1000)))).Deduplicated);
    }

    [Fact]
    public async Task Apply_ExpiryAfterReopenAndSnapshot_MatchesTheOriginalStore()
    {
        var source = Open("source");
        var commands = new StoreCommands(source);
        var start = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds();
        for (var i = 0; i < 20; i++)
            commands.Apply(PutWithId($"req-{i}", $"k{i}", "1", start + (i * 60_000)));
        var checkpoint = await source.CheckpointAsync(Deadline);
        var file = WriteSnapshotFile(source, checkpoint);
        var installed = Open("installed");
        await installed.InstallSnapshotAsync(file, Deadline);
        source = Reopen(source, "source");

        // The same entry, applied on each replica, forgets and remembers the same ids.
        foreach (var replica in new[] { source, installed })
        {
            var replicaCommands = new StoreCommands(replica);
            // Ten minutes after req-19 less a millisecond: req-19 is still inside the window, req-0 is not.
            var now = start + (19 * 60_000) + WindowMs - 1;
            Assert.False(replicaCommands.Apply(PutWithId("req-0", "k0", "2", now)).Deduplicated);
            Assert.True(replicaCommands.Apply(PutWithId("req-19", "k19", "2", now)).Deduplicated);
        }

        Assert.Equal(source.ComputeDigest(), installed.ComputeDigest());
    }
}
