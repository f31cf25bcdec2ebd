using ConfigCluster.Core.Commands;

namespace ConfigCluster.Storage.Tests;

// Snapshot transfer: a checkpoint written out by one store and installed into another.
public abstract partial class VersionedStoreContractTests
{
    private string WriteSnapshotFile(IVersionedStore store, StoreCheckpoint checkpoint, string name = "snapshot.bin")
    {
        Directory.CreateDirectory(Root);
        var file = Path.Combine(Root, name);
        using var stream = new FileStream(file, FileMode.Create, FileAccess.Write);
        store.WriteSnapshot(checkpoint, stream);
        return file;
    }

    // Store "source" with a checkpoint, then changes after it that a snapshot must not carry.
    private async Task<(IVersionedStore Source, StoreCheckpoint Checkpoint, string Digest, long Revision)> SourceWithLaterWritesAsync()
    {
        var source = Open("source");
        var commands = new StoreCommands(source);
        for (var i = 0; i < 50; i++)
            commands.Put($"app.k{i % 20:D2}", $"{i}", env: i % 2 == 0 ? "default" : "prod");
        commands.Delete("app.k04");
        commands.Rollback("app.k02", 1);
        var checkpoint = await source.CheckpointAsync(Deadline);
        var digest = source.ComputeDigest();
        var revision = source.Revision;

        commands.Put("late", "1");
        commands.Put("app.k00", "\"late\"");
        commands.Delete("app.k06");
        return (source, checkpoint, digest, revision);
    }

    private static void AssertStateOfSource(IVersionedStore store, StoreCheckpoint checkpoint, string digest, long revision)
    {
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal(checkpoint.Index, store.AppliedIndex);
        Assert.Equal(revision, store.Revision);
        Assert.Null(store.Get(StoreCommands.Path("late")));
        Assert.Equal("40", StoreCommands.Text(store.Get(StoreCommands.Path("app.k00"))!));
        Assert.False(store.Get(StoreCommands.Path("app.k06"))!.IsDeletion);
        Assert.True(store.Get(StoreCommands.Path("app.k04"))!.IsDeletion);
        Assert.Equal(9, store.List("default", "default", "app.", null, 100, includeDeleted: false).Items.Count);
        Assert.Equal(10, store.List("default", "prod", "app.", null, 100, includeDeleted: false).Items.Count);
    }

    [Fact]
    public async Task InstallSnapshotAsync_IntoFreshStore_ReproducesStateAtCheckpoint()
    {
        var (source, checkpoint, digest, revision) = await SourceWithLaterWritesAsync();
        var file = WriteSnapshotFile(source, checkpoint);
        var target = Open("target");

        var installed = await target.InstallSnapshotAsync(file, Deadline);

        Assert.Equal(checkpoint.Index, installed.Index);
        Assert.Equal(checkpoint.Term, installed.Term);
        AssertStateOfSource(target, checkpoint, digest, revision);
    }

    [Fact]
    public async Task InstallSnapshotAsync_ThenReopen_KeepsInstalledState()
    {
        var (source, checkpoint, digest, revision) = await SourceWithLaterWritesAsync();
        var file = WriteSnapshotFile(source, checkpoint);
        var target = Open("target");
        await target.InstallSnapshotAsync(file, Deadline);

        target = Reopen(target, "target");

        Assert.Equal(checkpoint.Index, target.RecoveredCheckpoint!.Index);
        AssertStateOfSource(target, checkpoint, digest, revision);
    }

    [Fact]
    public async Task InstallSnapshotAsync_ThenApply_ContinuesAfterSnapshotIndex()
    {
        var (source, checkpoint, _, revision) = await SourceWithLaterWritesAsync();
        var file = WriteSnapshotFile(source, checkpoint);
        var target = Open("target");
        await target.InstallSnapshotAsync(file, Deadline);
        var commands = new StoreCommands(target);

        var put = commands.Put("app.k00", "\"next\"");
        var after = await target.CheckpointAsync(Deadline);
        target = Reopen(target, "target");

        Assert.Equal(ResultCode.ResultOk, put.Code);
        Assert.Equal(revision + 1, put.Revision);
        Assert.Equal(checkpoint.Index + 1, after.Index);
        Assert.Equal(checkpoint.Index + 1, target.AppliedIndex);
        Assert.Equal("\"next\"", StoreCommands.Text(target.Get(StoreCommands.Path("app.k00"))!));
    }

    [Fact]
    public async Task InstallSnapshotAsync_OverExistingState_ReplacesIt()
    {
        var (source, checkpoint, digest, revision) = await SourceWithLaterWritesAsync();
        var file = WriteSnapshotFile(source, checkpoint);
        var target = Open("target");
        var own = new StoreCommands(target);
        own.Put("own.key", "1");
        own.Put("app.k00", "\"own\"");
        await target.CheckpointAsync(Deadline);

        await target.InstallSnapshotAsync(file, Deadline);

        Assert.Null(target.Get(StoreCommands.Path("own.key")));
        Assert.DoesNotContain(target.AllKeys(), static k => k.Key == "own.key");
        AssertStateOfSource(target, checkpoint, digest, revision);
    }

    [Fact]
    public async Task InstallSnapshotAsync_TwiceThenReopen_KeepsTheLaterSnapshot()
    {
        var (source, checkpoint, _, _) = await SourceWithLaterWritesAsync();
        var older = WriteSnapshotFile(source, checkpoint, "older.bin");
        var later = await source.CheckpointAsync(Deadline);
        var laterDigest = source.ComputeDigest();
        var newer = WriteSnapshotFile(source, later, "newer.bin");
        var target = Open("target");

        await target.InstallSnapshotAsync(older, Deadline);
        await target.InstallSnapshotAsync(newer, Deadline);
        target = Reopen(target, "target");

        Assert.Equal(later.Index, target.AppliedIndex);
        Assert.Equal(later.Index, target.RecoveredCheckpoint!.Index);
        Assert.Equal(laterDigest, target.ComputeDigest());
        Assert.NotNull(target.Get(StoreCommands.Path("late")));
    }

    [Fact]
    public async Task WriteSnapshot_CheckpointTakenBeforeInstall_ThrowsInvalidOperation()
    {
        var (source, checkpoint, _, _) = await SourceWithLaterWritesAsync();
        var file = WriteSnapshotFile(source, checkpoint);
        var target = Open("target");
        new StoreCommands(target).Put("own", "1");
        var stale = await target.CheckpointAsync(Deadline);
        await target.InstallSnapshotAsync(file, Deadline);

        Assert.Throws<InvalidOperationException>(() => target.WriteSnapshot(stale, Stream.Null));
    }

    [Theory]
    [InlineData("flip-magic")]
    [InlineData("flip-index")]
    [InlineData("flip-first-length")]
    [InlineData("flip-middle")]
    [InlineData("flip-checksum")]
    [InlineData("truncate-to-nothing")]
    [InlineData("truncate-header")]
    [InlineData("truncate-one-byte")]
    [InlineData("truncate-half")]
    [InlineData("append-byte")]
    public async Task InstallSnapshotAsync_DamagedFile_ThrowsInvalidDataAndChangesNothing(string damage)
    {
        var (source, checkpoint, _, _) = await SourceWithLaterWritesAsync();
        var file = WriteSnapshotFile(source, checkpoint);
        var target = Open("target");
        var commands = new StoreCommands(target);
        commands.Put("own", "1");
        commands.Put("own", "2");
        var digest = target.ComputeDigest();
        var bytes = await File.ReadAllBytesAsync(file, Deadline);
        bytes = damage switch
        {
            "flip-magic" => Flip(bytes, 0),
            "flip-index" => Flip(bytes, 8),
            "flip-first-length" => Flip(bytes, 24),
            "flip-middle" => Flip(bytes, bytes.Length / 2),
            "flip-checksum" => Flip(bytes, bytes.Length - 1),
            "truncate-to-nothing" => [],
            "truncate-header" => bytes[..10],
            "truncate-one-byte" => bytes[..^1],
            "truncate-half" => bytes[..(bytes.Length / 2)],
            "append-byte" => [.. bytes, 0],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        await File.WriteAllBytesAsync(file, bytes, Deadline);

        await Assert.ThrowsAsync<InvalidDataException>(async () => await target.InstallSnapshotAsync(file, Deadline));

        Assert.Equal(digest, target.ComputeDigest());
        Assert.Equal(2, target.AppliedIndex);
        Assert.Equal(2, target.Revision);
        Assert.Equal("2", StoreCommands.Text(target.Get(StoreCommands.Path("own"))!));
        Assert.Null(target.Get(StoreCommands.Path("app.k01", env: "prod")));
        Assert.Equal(ResultCode.ResultOk, commands.Put("own", "3").Code);

        static byte[] Flip(byte[] bytes, int at)
        {
            bytes[at] ^= 0x5A;
            return bytes;
        }
    }

    // Guards the FASTER 2.6.5 Iterate bug: after a fold-over checkpoint an iteration can return
    // superseded records. Every key must arrive with its value as of the second checkpoint.
    [Fact]
    public async Task InstallSnapshotAsync_UpdatesAfterFoldOverCheckpoint_CarriesLatestValues()
    {
        const int keys = 2000;
        var source = Open("source");
        var commands = new StoreCommands(source);
        for (var i = 0; i < keys; i++)
            commands.Put($"key.{i:D4}", $"\"first-{i}\"");
        var first = await source.CheckpointAsync(Deadline);
        for (var i = 0; i < keys; i++)
            commands.Put($"key.{i:D4}", $"\"second-{i}\"");
        var second = await source.CheckpointAsync(Deadline);
        var digest = source.ComputeDigest();
        commands.Put("key.0000", "\"after\"");
        var file = WriteSnapshotFile(source, second);
        var target = Open("target");

        await target.InstallSnapshotAsync(file, Deadline);

        Assert.Equal(digest, target.ComputeDigest());
        Assert.Equal(second.Index, target.AppliedIndex);
        Assert.Equal(2 * keys, target.Revision);
        for (var i = 0; i < keys; i++)
        {
            var latest = target.Get(StoreCommands.Path($"key.{i:D4}"));
            Assert.NotNull(latest);
            Assert.Equal(2, latest.Version);
            Assert.Equal($"\"second-{i}\"", StoreCommands.Text(latest));
        }

        var listed = target.List("default", "default", "key.", null, 10_000, includeDeleted: true).Items;
        Assert.Equal(keys, listed.Count);
        Assert.All(listed, static v => Assert.StartsWith("\"second-", StoreCommands.Text(v), StringComparison.Ordinal));
        Assert.True(first.Index < second.Index);
    }

    [Fact]
    public async Task WriteSnapshot_OlderCheckpointOfSameStore_HoldsThatCheckpointsState()
    {
        var source = Open("source");
        var commands = new StoreCommands(source);
        for (var i = 0; i < 100; i++)
            commands.Put($"k{i:D3}", "\"first\"");
        var first = await source.CheckpointAsync(Deadline);
        var firstDigest = source.ComputeDigest();
        for (var i = 0; i < 100; i++)
            commands.Put($"k{i:D3}", "\"second\"");
        await source.CheckpointAsync(Deadline);
        var file = WriteSnapshotFile(source, first);
        var target = Open("target");

        await target.InstallSnapshotAsync(file, Deadline);

        Assert.Equal(firstDigest, target.ComputeDigest());
        Assert.Equal(first.Index, target.AppliedIndex);
        Assert.All(target.List("default", "default", "", null, 1000, includeDeleted: true).Items, static v => Assert.Equal("\"first\"", StoreCommands.Text(v)));
    }
}
