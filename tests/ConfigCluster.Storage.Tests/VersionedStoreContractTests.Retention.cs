using ConfigCluster.Core.Commands;

namespace ConfigCluster.Storage.Tests;

// History retention: compaction through the log removes old versions the same way on every node,
// never the newest, and moves the oldest watchable revision past everything removed.
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult SetRetention(StoreCommands commands, long maxVersions, TimeSpan maxAge, string ns = "default")
    {
        var command = commands.NewCommand();
        command.SetRetention = new SetRetentionOp { Namespace = ns, MaxVersions = maxVersions, MaxAgeMs = (long)maxAge.TotalMilliseconds };
        return commands.Apply(command);
    }

    private static CommandResult Compact(StoreCommands commands, string ns = "default", int maxRemovals = 0)
    {
        var command = commands.NewCommand();
        command.Compact = new CompactOp { Namespace = ns, MaxRemovals = maxRemovals };
        return commands.Apply(command);
    }

    [Fact]
    public void Compact_KeepsTheNewestMaxVersions_AndOtherNamespacesUntouched()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 1; i <= 6; i++)
        {
            commands.Put("a", $"{i}");
            commands.Put("b", $"{i}", ns: "other");
        }

        commands.Put("single", "1");
        Assert.Equal(ResultCode.ResultOk, SetRetention(commands, maxVersions: 2, TimeSpan.Zero).Code);
        var revision = store.Revision;

        var result = Compact(commands);

        Assert.Equal(ResultCode.ResultOk, result.Code);
        Assert.Equal(4, result.Compacted);
        Assert.Equal(revision, store.Revision);
        Assert.Equal([5L, 6L], store.History(StoreCommands.Path("a")).Select(static v => v.Version));
        Assert.Null(store.Get(StoreCommands.Path("a"), 4));
        Assert.Equal("6", StoreCommands.Text(store.Get(StoreCommands.Path("a"))!));
        Assert.Single(store.History(StoreCommands.Path("single")));
        Assert.Equal(6, store.History(StoreCommands.Path("b", ns: "other")).Count);
        // Version 4 of "a" was written at revision 7 (a and b alternate): nothing at or below it is watchable.
        Assert.Equal(8, store.OldestRevision);
        Assert.Equal(0, Compact(commands).Compacted);
    }

    [Fact]
    public void Compact_ByAge_RemovesOlderVersionsButNeverTheNewest()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("old", "1");       // index 1: StoreCommands stamps one second per index
        commands.Put("old", "2");       // index 2
        commands.Put("fresh", "1");     // index 3
        for (var i = 0; i < 20; i++)
            commands.Put("filler", $"{i}"); // indexes 4..23
        SetRetention(commands, maxVersions: 0, TimeSpan.FromSeconds(10)); // index 24; compaction at 25 drops versions older than index 15

        var result = Compact(commands);

        Assert.Equal(ResultCode.ResultOk, result.Code);
        Assert.Equal([2L], store.History(StoreCommands.Path("old")).Select(static v => v.Version));
        Assert.Single(store.History(StoreCommands.Path("fresh")));
        Assert.Equal(Enumerable.Range(12, 9).Select(static v => (long)v), store.History(StoreCommands.Path("filler")).Select(static v => v.Version));
        Assert.Equal(1 + 11 + 0, result.Compacted);
    }

    [Fact]
    public async Task Compact_IsBatched_AndSurvivesRestartAndSnapshotTransfer()
    {
        var store = Open("source");
        var commands = new StoreCommands(store);
        for (var i = 0; i < 30; i++)
            commands.Put($"k{i % 3}", $"{i}");
        SetRetention(commands, maxVersions: 1, TimeSpan.Zero);

        var first = Compact(commands, maxRemovals: 10);
        var second = Compact(commands, maxRemovals: 100);

        Assert.Equal((10, true), (first.Compacted, first.More));
        Assert.Equal((17, false), (second.Compacted, second.More));
        var checkpoint = await store.CheckpointAsync(Deadline);
        var digest = store.ComputeDigest();
        var oldest = store.OldestRevision;

        store = Reopen(store, "source");
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal(oldest, store.OldestRevision);
        Assert.Equal(1, store.GetRetention("default")!.MaxVersions);

        var target = Open("target");
        await target.InstallSnapshotAsync(WriteSnapshotFile(store, checkpoint), Deadline);
        Assert.Equal(digest, target.ComputeDigest());
        Assert.Equal(oldest, target.OldestRevision);
        Assert.All(["k0", "k1", "k2"], key => Assert.Single(target.History(StoreCommands.Path(key))));
    }

    [Fact]
    public async Task Compact_DropsChangeRecordsAtOrBelowTheOldestRevision_InBatches_AcrossARestart()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 1; i <= 12; i++)
        {
            commands.Put("a", $"{i}");
            commands.Put("b", $"{i}", ns: "other"); // no retention: its changes share the one horizon
        }

        SetRetention(commands, maxVersions: 1, TimeSpan.Zero);
        Assert.Single(store.GetChanges(1));

        // Version 11 of "a" was written at revision 21: every change up to it goes, a few per
        // entry; "More" holds while change records are left to drop, after the versions are gone.
        var entries = 0;
        CommandResult result;
        do
        {
            result = Compact(commands, maxRemovals: 4);
            Assert.Equal(ResultCode.ResultOk, result.Code);
            entries++;
        }
        while (result.More && entries < 100);

        Assert.Equal(22, store.OldestRevision);
        Assert.True(entries >= 21 / 4, $"{entries} compaction entries dropped 21 change records at 4 an entry");
        for (var revision = 1L; revision < store.OldestRevision; revision++)
            Assert.Empty(store.GetChanges(revision));
        Assert.Empty(await store.GetChangesAsync(5, Deadline));
        Assert.Equal("b", Assert.Single(store.GetChanges(22)).Path.Key);
        Assert.Equal("12", StoreCommands.Text(Assert.Single(await store.GetChangesAsync(23, Deadline))));
        Assert.Equal(12, store.History(StoreCommands.Path("b", ns: "other")).Count); // the versions themselves stay

        // The dropped range survives a restart (it is in the checkpoint's meta record): a later
        // compaction drops only what the horizon passed since.
        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        commands = new StoreCommands(store);
        commands.Put("a", "13");
        commands.Put("a", "14");
        result = Compact(commands, maxRemovals: 4); // revisions 22-25 fit one entry; 1-25 would not
        Assert.False(result.More);
        Assert.Equal(2, result.Compacted);
        Assert.Equal(26, store.OldestRevision);
        Assert.Empty(store.GetChanges(25));
        Assert.Single(store.GetChanges(26));
    }

    [Fact]
    public void SetRetention_BadInput_IsRefusedAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);

        Assert.Equal(ResultCode.ResultInvalid, SetRetention(commands, -1, TimeSpan.Zero).Code);
        Assert.Equal(ResultCode.ResultInvalid, SetRetention(commands, 1, TimeSpan.Zero, ns: "").Code);
        Assert.Null(store.GetRetention("default"));
        Assert.Empty(store.Retention());
    }
}
