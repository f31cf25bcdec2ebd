using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Core.Commands;
using Google.Protobuf;
using Xunit.Abstractions;

namespace ConfigCluster.Storage.Tests;

/// <summary>
/// Log compaction and start-up from the checkpoint's image, on real files: a store written 20
/// times over with retention on gives its superseded records and removed versions back to the file
/// system, keeps every live key and its retained history, and reopens by reading its image and the
/// log after it rather than every record ever written.
/// </summary>
public sealed partial class FasterLogCompactionTests(ITestOutputHelper output) : IDisposable
{
    private const int Keys = 400;
    private const int Rounds = 20;
    private const int Kept = 2;
    private const int ValueBytes = 1000;

    private readonly string root = Path.Combine(Path.GetTempPath(), "cc-store-compact", Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromMinutes(3));

    // Small pages and 1 MiB segments, so that a store of a few MiB spans many segments and the
    // space compaction reclaims shows on disk (it comes back a whole segment at a time).
    private StoreOptions Options(bool compaction, string name = "store") => new()
    {
        Directory = Path.Combine(root, name),
        MaxStoredValueBytes = 48 << 10,
        LogMemoryBytes = 1L << 20,
        IndexSizeBytes = 1L << 20,
        SegmentSizeBytes = 1L << 20,
        CompactionMinBytes = compaction ? 1L << 20 : 0,
    };

    [Fact]
    public async Task Checkpoint_StoreWrittenTwentyTimesOverWithRetention_ShrinksOnDiskAndReopensFromItsImage()
    {
        // Written 20 times over, with request ids (most expire and leave empty records) and
        // metadata (a token, a policy, a deleted policy whose empty record still counts).
        var store = FasterVersionedStore.Open(Options(compaction: false));
        var commands = new StoreCommands(store);
        var tokenHash = SHA256.HashData("compaction token"u8);
        var token = commands.NewCommand();
        token.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(tokenHash), Accessor = "acc-c", Name = "kept", Policies = { "admin" } };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(token).Code);
        PutPolicy(commands, "readers");
        PutPolicy(commands, "gone");
        var delete = commands.NewCommand();
        delete.DeletePolicy = new DeletePolicyOp { Name = "gone" };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(delete).Code);
        var retention = commands.NewCommand();
        retention.SetRetention = new SetRetentionOp { Namespace = "default", MaxVersions = Kept };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(retention).Code);
        for (var round = 1; round <= Rounds; round++)
        {
            for (var i = 0; i < Keys; i++)
            {
                var put = commands.NewCommand();
                put.RequestId = $"req-{round}-{i}";
                put.Put = new PutOp { Key = StoreCommands.Path(Key(i)).ToStoreKey(), Value = ByteString.CopyFromUtf8(Value(i, round)) };
                Assert.Equal(ResultCode.ResultOk, commands.Apply(put).Code);
            }
        }

        CompactHistory(commands);
        var before = await store.CheckpointAsync(timeout.Token);
        var digest = store.ComputeDigest();
        var remembered = store.RememberedRequestCount;
        var written = store.Revision;
        var bytesBefore = DirectoryBytes(Options(false).Directory);
        Assert.Equal(0, store.Compactions);
        store.Dispose();

        // Reopened with compaction on: the image saved with the checkpoint spares the scan, and
        // the next checkpoint compacts (the log spans far more than the threshold).
        store = FasterVersionedStore.Open(Options(compaction: true));
        Assert.True(store.RecoveryUsedImage, "the checkpoint's image was not used");
        Assert.True(store.RecoveryScannedRecords <= 2, $"recovery scanned {store.RecoveryScannedRecords} records after the image");
        Assert.Equal(digest, store.ComputeDigest());
        var compacted = await store.CheckpointAsync(timeout.Token);
        Assert.Equal(1, store.Compactions);
        Assert.True(compacted.BeginAddress > before.BeginAddress, "the begin address did not move");
        Assert.True(store.LastCompaction!.ReclaimedBytes > 0);
        Assert.Throws<InvalidOperationException>(() => store.WriteSnapshot(before, Stream.Null));
        // FASTER deletes the segments below the begin address in the background.
        var bytesAfter = DirectoryBytes(Options(false).Directory);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); bytesAfter * 2 >= bytesBefore && DateTime.UtcNow < deadline; bytesAfter = DirectoryBytes(Options(false).Directory))
            await Task.Delay(50, timeout.Token);
        Assert.True(bytesAfter * 2 < bytesBefore, $"the store takes {bytesAfter} bytes on disk after compaction, {bytesBefore} before ({store.LastCompaction}): {Listing(Options(false).Directory)}");
        output.WriteLine($"on disk: {bytesBefore} bytes before compaction, {bytesAfter} after; {store.LastCompaction}");
        var snapshot = Path.Combine(root, "compacted.snap");
        using (var file = File.Create(snapshot))
            store.WriteSnapshot(compacted, file);
        store.Dispose();

        // Restarted: every live key and its retained history read back, the digest is unchanged,
        // and recovery read the image rather than the log.
        store = FasterVersionedStore.Open(Options(compaction: true));
        try
        {
            Assert.True(store.RecoveryUsedImage);
            Assert.True(store.RecoveryScannedRecords <= 2, $"recovery scanned {store.RecoveryScannedRecords} records after the image");
            AssertContents(store, tokenHash);
            Assert.Equal(digest, store.ComputeDigest());
            Assert.Equal(written, store.Revision);
            Assert.Equal(remembered, store.RememberedRequestCount);
        }
        finally
        {
            store.Dispose();
        }

        // Without its image, the full scan of the compacted log is bounded by the live records:
        // a head and the kept versions per key and a change per revision still watchable, not
        // every version or change ever written (compacted history takes its change records along).
        File.Delete(Path.Combine(Options(false).Directory, "faster-0", "startup.img"));
        store = FasterVersionedStore.Open(Options(compaction: true));
        try
        {
            Assert.False(store.RecoveryUsedImage);
            var live = Keys * (1 + Kept) + (written - store.OldestRevision + 1) + remembered + 16;
            Assert.True(store.RecoveryScannedRecords <= live, $"recovery scanned {store.RecoveryScannedRecords} records; {live} are live");
            Assert.Equal(digest, store.ComputeDigest());
        }
        finally
        {
            store.Dispose();
        }

        // The compacted checkpoint still installs as a snapshot elsewhere.
        using var target = FasterVersionedStore.Open(Options(compaction: true, name: "target"));
        await target.InstallSnapshotAsync(snapshot, timeout.Token);
        Assert.Equal(digest, target.ComputeDigest());
        AssertContents(target, tokenHash);
    }

    [Fact]
    public async Task Open_DamagedStartupImage_FallsBackToTheFullScan()
    {
        var options = Options(compaction: false);
        var store = FasterVersionedStore.Open(options);
        var commands = new StoreCommands(store);
        for (var i = 0; i < 50; i++)
            commands.Put(Key(i), $"{i}");
        await store.CheckpointAsync(timeout.Token);
        var digest = store.ComputeDigest();
        store.Dispose();
        var image = Path.Combine(options.Directory, "faster-0", "startup.img");
        var bytes = File.ReadAllBytes(image);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(image, bytes);

        using var reopened = FasterVersionedStore.Open(options);

        Assert.False(reopened.RecoveryUsedImage);
        Assert.True(reopened.RecoveryScannedRecords >= 50);
        Assert.Equal(digest, reopened.ComputeDigest());
    }

    private static void AssertContents(FasterVersionedStore store, byte[] tokenHash)
    {
        for (var i = 0; i < Keys; i++)
        {
            var history = store.History(StoreCommands.Path(Key(i)));
            Assert.Equal(Enumerable.Range(Rounds - Kept + 1, Kept).Select(r => Value(i, r)), history.Select(StoreCommands.Text));
            Assert.Null(store.Get(StoreCommands.Path(Key(i)), Rounds - Kept));
        }

        Assert.Equal("kept", store.FindToken(tokenHash)?.Name);
        Assert.NotNull(store.FindPolicy("readers"));
        Assert.Null(store.FindPolicy("gone"));
        Assert.Equal(Kept, store.GetRetention("default")!.MaxVersions);
    }

    private static void PutPolicy(StoreCommands commands, string name)
    {
        var command = commands.NewCommand();
        command.PutPolicy = new PutPolicyOp { Name = name };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(command).Code);
    }

    private static void CompactHistory(StoreCommands commands)
    {
        CommandResult result;
        do
        {
            var command = commands.NewCommand();
            command.Compact = new CompactOp { Namespace = "default" };
            result = commands.Apply(command);
            Assert.Equal(ResultCode.ResultOk, result.Code);
        }
        while (result.More);
    }

    private static long DirectoryBytes(string directory)
        => new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(static f => f.Length);

    private static string Listing(string directory)
        => string.Join(", ", new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Select(f => $"{Path.GetRelativePath(directory, f.FullName)}={f.Length}"));

    private static string Key(int i) => $"key.{i:D4}";

    private static string Value(int i, int round)
    {
        var head = $"\"{i}-{round}-";
        return new StringBuilder(head).Append('x', ValueBytes - head.Length - 1).Append('"').ToString();
    }

    public void Dispose()
    {
        timeout.Dispose();
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }
}
