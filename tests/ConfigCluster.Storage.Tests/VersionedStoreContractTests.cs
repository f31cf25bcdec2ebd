using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

/// <summary>What every <see cref="IVersionedStore"/> must do; run against each implementation.</summary>
public abstract class VersionedStoreContractTests : IDisposable
{
    private readonly List<IVersionedStore> opened = [];

    protected string Directory { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cc-store-tests", Guid.NewGuid().ToString("N"));

    protected abstract IVersionedStore OpenStore(string directory);

    protected IVersionedStore Open(string? directory = null)
    {
        var store = OpenStore(directory ?? Directory);
        opened.Add(store);
        return store;
    }

    protected static CancellationToken Deadline => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public void Put_ThenGet_ReturnsLatestAndEachVersion()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        Assert.Equal(ResultCode.ResultOk, commands.Put("a.b", "1").Code);
        var second = commands.Put("a.b", "2", author: "svc-x");

        Assert.Equal(2, second.Version);
        Assert.Equal(2, second.Revision);
        var latest = store.Get(StoreCommands.Path("a.b"))!;
        Assert.Equal("2", latest.Value.Span.ToArray().AsString());
        Assert.Equal("svc-x", latest.Author);
        Assert.Equal(VersionKind.Put, latest.Operation);
        Assert.Equal("1", store.Get(StoreCommands.Path("a.b"), 1)!.Value.Span.ToArray().AsString());
        Assert.Null(store.Get(StoreCommands.Path("missing")));
        Assert.Null(store.Get(StoreCommands.Path("a.b"), 3));
    }

    [Fact]
    public void Delete_WritesTombstone_AndMissingDeleteChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        Assert.Equal(ResultCode.ResultOk, commands.Delete("k").Code);
        Assert.True(store.Get(StoreCommands.Path("k"))!.IsDeletion);
        Assert.Empty(store.List("default", "default", "", null, 10, includeDeleted: false).Items);
        Assert.Single(store.List("default", "default", "", null, 10, includeDeleted: true).Items);

        var revision = store.Revision;
        Assert.Equal(ResultCode.ResultNotFound, commands.Delete("k").Code);
        Assert.Equal(ResultCode.ResultNotFound, commands.Delete("never").Code);
        Assert.Equal(revision, store.Revision);
    }

    [Fact]
    public void CompareAndSet_IsCheckedAtApply()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        Assert.Equal(ResultCode.ResultOk, commands.Put("k", "1", expected: 0).Code);
        var mismatch = commands.Put("k", "2", expected: 0);
        Assert.Equal(ResultCode.ResultVersionMismatch, mismatch.Code);
        Assert.Equal(1, mismatch.CurrentVersion);
        Assert.Equal(ResultCode.ResultOk, commands.Put("k", "2", expected: 1).Code);
        Assert.Equal(ResultCode.ResultVersionMismatch, commands.Delete("k", expected: 1).Code);
        Assert.Equal(2, store.Get(StoreCommands.Path("k"))!.Version);
    }

    [Fact]
    public void Rollback_CreatesNewVersionWithOldValue_AndRejectsBadTargets()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "\"one\"");
        commands.Put("k", "\"two\"");
        var rolled = commands.Rollback("k", 1);

        Assert.Equal(3, rolled.Version);
        var latest = store.Get(StoreCommands.Path("k"))!;
        Assert.Equal("\"one\"", latest.Value.Span.ToArray().AsString());
        Assert.Equal(1, latest.RolledBackFrom);
        Assert.Equal(ResultCode.ResultVersionNotFound, commands.Rollback("k", 7).Code);
        commands.Delete("k");
        Assert.Equal(ResultCode.ResultInvalid, commands.Rollback("k", 4).Code);
        Assert.Equal(ResultCode.ResultNotFound, commands.Rollback("nope", 1).Code);
    }

    [Fact]
    public void InvalidCommands_AndReplayedIndexes_ChangeNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        var bad = commands.Apply(new Command { Put = new PutOp { Key = new StoreKey { Key = "bad..key" }, Value = ByteString.CopyFromUtf8("1") } });
        Assert.Equal(ResultCode.ResultInvalid, bad.Code);
        Assert.Equal(ResultCode.ResultInvalid, commands.Apply(new Command()).Code);

        var replay = store.Apply(new Command { Put = new PutOp { Key = StoreCommands.Path("k").ToStoreKey(), Value = ByteString.CopyFromUtf8("9") } }, 1, 1);
        Assert.Equal(ResultCode.ResultInvalid, replay.Code);
        Assert.Equal(1, store.Revision);
        Assert.Equal(1, store.Get(StoreCommands.Path("k"))!.Version);
    }

    [Fact]
    public void RequestId_RetriedWrite_IsAppliedOnce()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var command = new Command { RequestId = "r1", Put = new PutOp { Key = StoreCommands.Path("k").ToStoreKey(), Value = ByteString.CopyFromUtf8("1") } };
        var first = commands.Apply(command);
        var again = commands.Apply(command);
        Assert.True(again.Deduplicated);
        Assert.Equal(first.Version, again.Version);
        Assert.Single(store.History(StoreCommands.Path("k")));
    }

    [Fact]
    public void List_PagesInKeyOrder_WithoutGapsOrDuplicates_AndScopesAreIsolated()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 24; i >= 0; i--)
            commands.Put($"app.k{i:D2}", "1");
        commands.Put("app.k00", "1", env: "prod");
        commands.Put("app.k00", "1", ns: "team-b");
        commands.Put("zzz", "1");

        var keys = new List<string>();
        string? after = null;
        do
        {
            var page = store.List("default", "default", "app.", after, 7, includeDeleted: false);
            Assert.True(page.Items.Count <= 7);
            keys.AddRange(page.Items.Select(static i => i.Path.Key));
            after = page.NextAfter;
        }
        while (after is not null);

        Assert.Equal(Enumerable.Range(0, 25).Select(static i => $"app.k{i:D2}"), keys);
        Assert.Single(store.List("default", "prod", "", null, 100, false).Items);
        Assert.Single(store.List("team-b", "default", "", null, 100, false).Items);
    }

    [Fact]
    public async Task Checkpoint_ThenReopen_RecoversTheCheckpointedState()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        for (var i = 0; i < 30; i++)
            commands.Put($"k{i % 10}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var checkpoint = await store.CheckpointAsync(Deadline);
        var digest = store.ComputeDigest();
        commands.Put("after.checkpoint", "1");
        store.Dispose();
        opened.Remove(store);

        var reopened = Open();
        Assert.Equal(checkpoint.Index, reopened.RecoveredCheckpoint!.Index);
        Assert.Equal(checkpoint.Index, reopened.AppliedIndex);
        Assert.Equal(30, reopened.Revision);
        Assert.Equal(digest, reopened.ComputeDigest());
        Assert.Null(reopened.Get(StoreCommands.Path("after.checkpoint")));
        Assert.Equal(10, reopened.List("default", "default", "k", null, 100, false).Items.Count);
    }

    [Fact]
    public async Task Snapshot_AfterFoldOverUpdates_InstallsIdenticalState()
    {
        var source = Open();
        var commands = new StoreCommands(source);
        for (var i = 0; i < 2000; i++)
            commands.Put($"key.{i}", "\"first\"");
        await source.CheckpointAsync(Deadline);
        for (var i = 0; i < 2000; i++)
            commands.Put($"key.{i}", "\"second\"");
        var checkpoint = await source.CheckpointAsync(Deadline);
        var digest = source.ComputeDigest();
        commands.Put("key.0", "\"after\"");

        var file = System.IO.Path.Combine(Directory, "snapshot.bin");
        System.IO.Directory.CreateDirectory(Directory);
        await using (var stream = File.Create(file))
            source.WriteSnapshot(checkpoint, stream);

        var target = Open(System.IO.Path.Combine(Directory, "target"));
        var installed = await target.InstallSnapshotAsync(file, Deadline);
        Assert.Equal(checkpoint.Index, installed.Index);
        Assert.Equal(digest, target.ComputeDigest());
        Assert.All(target.List("default", "default", "key.", null, 10_000, false).Items, static v => Assert.Equal("\"second\"", v.Value.Span.ToArray().AsString()));
    }

    [Fact]
    public async Task Snapshot_Damaged_IsRejectedAndChangesNothing()
    {
        var source = Open();
        var commands = new StoreCommands(source);
        for (var i = 0; i < 20; i++)
            commands.Put($"k{i}", "1");
        var checkpoint = await source.CheckpointAsync(Deadline);
        var file = System.IO.Path.Combine(Directory, "snapshot.bin");
        await using (var stream = File.Create(file))
            source.WriteSnapshot(checkpoint, stream);

        var target = Open(System.IO.Path.Combine(Directory, "target"));
        new StoreCommands(target).Put("own", "1");
        var digest = target.ComputeDigest();

        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await target.InstallSnapshotAsync(file, Deadline));
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length - 40)]);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await target.InstallSnapshotAsync(file, Deadline));
        Assert.Equal(digest, target.ComputeDigest());
    }

    [Fact]
    public void Digest_IsEqualForEqualHistories_AndDiffersOtherwise()
    {
        var a = Open(System.IO.Path.Combine(Directory, "a"));
        var b = Open(System.IO.Path.Combine(Directory, "b"));
        var ca = new StoreCommands(a);
        var cb = new StoreCommands(b);
        ca.Put("x", "1");
        cb.Put("x", "1");
        Assert.Equal(a.ComputeDigest(), b.ComputeDigest());
        cb.Put("x", "2");
        Assert.NotEqual(a.ComputeDigest(), b.ComputeDigest());
    }

    public void Dispose()
    {
        foreach (var store in opened)
            store.Dispose();
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }
}

internal static class BytesExtensions
{
    public static string AsString(this byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
