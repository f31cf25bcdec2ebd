using ConfigCluster.Core.Commands;

namespace ConfigCluster.Storage.Tests;

// Checkpoints and restart: a reopened store holds exactly the last checkpoint; the Raft WAL
// replays whatever came after it.
public abstract partial class VersionedStoreContractTests
{
    [Fact]
    public async Task CheckpointAsync_ThenReopen_RecoversStateAsOfCheckpoint()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 0; i < 30; i++)
            commands.Put($"k{i % 10}", $"{i}");
        commands.Delete("k9");
        commands.Rollback("k0", 1);
        var checkpoint = await store.CheckpointAsync(Deadline);
        var digest = store.ComputeDigest();
        var revision = store.Revision;

        commands.Put("late", "1");
        commands.Put("k1", "\"late\"");
        commands.Delete("k2");
        store = Reopen(store);

        Assert.NotNull(store.RecoveredCheckpoint);
        Assert.Equal(checkpoint.Index, store.RecoveredCheckpoint.Index);
        Assert.Equal(32, checkpoint.Index);
        Assert.Equal(checkpoint.Index, store.AppliedIndex);
        Assert.Equal(revision, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Null(store.Get(StoreCommands.Path("late")));
        Assert.Equal("21", StoreCommands.Text(store.Get(StoreCommands.Path("k1"))!));
        Assert.False(store.Get(StoreCommands.Path("k2"))!.IsDeletion);
        Assert.True(store.Get(StoreCommands.Path("k9"))!.IsDeletion);
        Assert.Equal(VersionKind.Rollback, store.Get(StoreCommands.Path("k0"))!.Operation);
        Assert.Equal(
            ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"],
            store.List("default", "default", "k", null, 100, includeDeleted: false).Items.Select(static v => v.Path.Key));
        Assert.Equal(10, store.AllKeys().Count);
    }

    [Fact]
    public async Task Reopen_ThenReplayLaterEntries_ContinuesVersionsAndRecoversAgain()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Put("k", "2");
        await store.CheckpointAsync(Deadline);
        commands.Put("k", "lost");
        store = Reopen(store);

        // As the WAL would: entries after the checkpoint come again, at the same indexes.
        commands = new StoreCommands(store);
        var replayed = commands.Put("k", "3");
        commands.Put("other", "1");
        var second = await store.CheckpointAsync(Deadline);
        var digest = store.ComputeDigest();
        store = Reopen(store);

        Assert.Equal(ResultCode.ResultOk, replayed.Code);
        Assert.Equal(3, replayed.Version);
        Assert.Equal(3, replayed.Revision);
        Assert.Equal(second.Index, store.RecoveredCheckpoint!.Index);
        Assert.Equal(4, store.AppliedIndex);
        Assert.Equal(4, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal(["1", "2", "3"], store.History(StoreCommands.Path("k")).Select(StoreCommands.Text));
    }

    [Fact]
    public void Reopen_WithoutCheckpoint_StartsEmpty()
    {
        var store = Open();
        new StoreCommands(store).Put("k", "1");

        store = Reopen(store);

        Assert.Null(store.RecoveredCheckpoint);
        Assert.Equal(0, store.AppliedIndex);
        Assert.Equal(0, store.Revision);
        Assert.Null(store.Get(StoreCommands.Path("k")));
        Assert.Empty(store.AllKeys());
    }

    [Fact]
    public async Task CheckpointAsync_AfterSkippedEntries_RecordsTheLastAppliedIndex()
    {
        var store = Open();
        new StoreCommands(store).Put("k", "1");
        store.Skip(2, 3);

        var checkpoint = await store.CheckpointAsync(Deadline);
        store = Reopen(store);

        Assert.Equal(2, checkpoint.Index);
        Assert.Equal(3, checkpoint.Term);
        Assert.Equal(2, store.RecoveredCheckpoint!.Index);
        Assert.Equal(3, store.RecoveredCheckpoint.Term);
        Assert.Equal(2, store.AppliedIndex);
    }
}
