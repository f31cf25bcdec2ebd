using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

/// <summary>
/// The contract suite against the FASTER-backed store, with small FASTER sizes (1 MiB index,
/// 16 MiB of log memory in 64 KiB pages: 256 pages), plus what only FASTER has to get right.
/// </summary>
public sealed class FasterVersionedStoreTests : VersionedStoreContractTests
{
    private const int PageSize = 1 << 16;
    private const int LogMemory = 1 << 24;

    protected override IVersionedStore OpenStore(string directory) => FasterVersionedStore.Open(new StoreOptions
    {
        Directory = directory,
        IndexSizeBytes = 1L << 20,
        LogMemoryBytes = LogMemory,
        PageSizeBytes = PageSize,
        MaxStoredValueBytes = PageSize - StoreOptions.RecordOverheadBytes,
    });

    // Values totalling more than the in-memory log push older records to disk, so reads,
    // recovery and snapshot scans take FASTER's pending (I/O) paths.
    [Fact]
    public async Task Apply_MoreDataThanLogMemory_ReadsRecoversAndSnapshotsFromDisk()
    {
        const int keys = 300;
        var store = Open("source");
        var commands = new StoreCommands(store);
        for (var round = 1; round <= 2; round++)
        {
            for (var i = 0; i < keys; i++)
                commands.Put($"blob.{i:D3}", Json(round, i));
        }

        Assert.Equal(Json(1, 0), StoreCommands.Text(store.Get(StoreCommands.Path("blob.000"), 1)!));
        Assert.Equal(Json(2, 0), StoreCommands.Text(store.Get(StoreCommands.Path("blob.000"))!));
        var checkpoint = await store.CheckpointAsync(Deadline);
        var digest = store.ComputeDigest();

        store = Reopen(store, "source");
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal(keys, store.List("default", "default", "blob.", null, 1000, includeDeleted: false).Items.Count);

        var file = Path.Combine(Root, "snapshot.bin");
        await using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write))
            store.WriteSnapshot(store.RecoveredCheckpoint!, stream);
        var target = Open("target");
        await target.InstallSnapshotAsync(file, Deadline);

        Assert.Equal(checkpoint.Index, target.AppliedIndex);
        Assert.Equal(digest, target.ComputeDigest());
        Assert.Equal(Json(1, keys - 1), StoreCommands.Text(target.Get(StoreCommands.Path($"blob.{keys - 1:D3}"), 1)!));

        // About 40 KB per value: one record per page, twice the log memory in all.
        static string Json(int round, int i) => $"\"{round}-{i}-{new string('x', 40_000)}\"";
    }

    // A record larger than one FASTER page would make FASTER throw "Entry does not fit on page"
    // out of Apply; the store refuses such a value before writing anything.
    [Fact]
    public void Apply_ValueLargerThanLogPage_FailsWithoutThrowingAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        var digest = store.ComputeDigest();
        var command = commands.NewCommand();
        command.Put = new PutOp { Key = StoreCommands.Path("k").ToStoreKey(), Value = ByteString.CopyFrom(new byte[PageSize + 1]) };

        var result = commands.Apply(command);

        Assert.Equal(ResultCode.ResultInvalid, result.Code);
        Assert.Contains("limit", result.Message, StringComparison.Ordinal);
        Assert.Equal(digest, store.ComputeDigest());
    }

    // Same limit inside a change-set: the oversized item fails the whole set before any item is written.
    [Fact]
    public void Apply_ChangeSetWithItemLargerThanLogPage_ChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var command = commands.NewCommand();
        command.ChangeSet = new ChangeSetOp
        {
            Items =
            {
                new ChangeSetItem { Put = new PutOp { Key = StoreCommands.Path("small").ToStoreKey(), Value = ByteString.CopyFromUtf8("1") } },
                new ChangeSetItem { Put = new PutOp { Key = StoreCommands.Path("big").ToStoreKey(), Value = ByteString.CopyFrom(new byte[PageSize + 1]) } },
            },
        };

        var result = commands.Apply(command);

        Assert.Equal(ResultCode.ResultInvalid, result.Code);
        Assert.Null(store.Get(StoreCommands.Path("small")));
        Assert.Equal(0, store.Revision);
        Assert.Empty(store.AllKeys());
    }

    [Fact]
    public void Open_PageTooSmallForTheValueLimit_IsRefusedWithAClearMessage()
    {
        var error = Assert.Throws<ArgumentException>(() => FasterVersionedStore.Open(new StoreOptions
        {
            Directory = Path.Combine(Path.GetTempPath(), "cc-store-limit-" + Guid.NewGuid().ToString("N")),
            PageSizeBytes = PageSize,
            MaxStoredValueBytes = PageSize,
        }));
        Assert.Contains("cannot hold a value", error.Message, StringComparison.Ordinal);
    }
}
