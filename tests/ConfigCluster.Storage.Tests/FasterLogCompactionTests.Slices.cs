using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Compaction a slice per checkpoint (apply never waits for a whole pass), and the hold a backup
// takes so that its checkpoint stays streamable while compacting checkpoints go on.
public sealed partial class FasterLogCompactionTests
{
    private const long SliceBytes = 256 << 10;

    [Fact]
    public async Task Checkpoint_CompactsOneSliceAtATime_WhileWritesGoOn_AndAgreesWithAStoreThatNeverCompacted()
    {
        var options = Options(compaction: true);
        options.CompactionSliceBytes = SliceBytes;
        var store = FasterVersionedStore.Open(options);
        var twin = FasterVersionedStore.Open(Options(compaction: false, name: "twin"));
        try
        {
            var (commands, twinCommands) = (new StoreCommands(store), new StoreCommands(twin));
            void Both(Func<StoreCommands, Command> build)
                => Assert.Equal(commands.Apply(build(commands)).Code, twinCommands.Apply(build(twinCommands)).Code);
            Command Put(StoreCommands c, int key, int round)
            {
                var put = c.NewCommand();
                put.Put = new PutOp { Key = StoreCommands.Path(Key(key)).ToStoreKey(), Value = ByteString.CopyFromUtf8(Value(key, round)) };
                return put;
            }

            Command Compact(StoreCommands c)
            {
                var compact = c.NewCommand();
                compact.Compact = new CompactOp { Namespace = "default" };
                return compact;
            }

            Both(c =>
            {
                var retention = c.NewCommand();
                retention.SetRetention = new SetRetentionOp { Namespace = "default", MaxVersions = Kept };
                return retention;
            });
            for (var first = 1; first <= 10; first++)
            {
                for (var i = 0; i < Keys; i++)
                    Both(c => Put(c, i, first));
            }

            Both(Compact);

            // Each checkpoint compacts at most one slice; between two, some keys (in slices compacted
            // or not yet) are overwritten and their history compacted away.
            var steps = new List<CompactionResult>();
            var round = 10;
            while (store.CompactionPasses == 0 && steps.Count < 200)
            {
                var before = store.Compactions;
                await store.CheckpointAsync(timeout.Token);
                Assert.True(store.Compactions <= before + 1, "a checkpoint ran more than one compaction step");
                if (store.Compactions > before)
                    steps.Add(store.LastCompaction!);
                round++;
                for (var i = steps.Count % 50; i < Keys; i += 50)
                    Both(c => Put(c, i, round));
                Both(Compact);
                Assert.Equal(twin.ComputeDigest(), store.ComputeDigest());
            }

            Assert.Equal(1, store.CompactionPasses);
            Assert.False(store.CompactionPassRunning);
            Assert.True(steps.Count >= 4, $"the pass took {steps.Count} steps: [{string.Join(", ", steps)}]");
            Assert.All(steps, step => Assert.InRange(step.BeginAfter - step.BeginBefore, 1, SliceBytes));
            Assert.All(steps.Zip(steps.Skip(1)), pair => Assert.Equal(pair.First.BeginAfter, pair.Second.BeginBefore));
            // Both kinds of record met a slice: superseded ones dropped, live ones moved to the tail.
            Assert.True(steps.Sum(static s => s.ReclaimedBytes) > 0);
            Assert.True(steps.Sum(static s => s.CopiedBytes) > 0);
            output.WriteLine($"{steps.Count} slices; begin {steps[0].BeginBefore} -> {steps[^1].BeginAfter}; reclaimed {steps.Sum(static s => s.ReclaimedBytes)} bytes, copied {steps.Sum(static s => s.CopiedBytes)}");

            for (var i = 0; i < Keys; i++)
            {
                var path = StoreCommands.Path(Key(i));
                Assert.Equal(twin.History(path).Select(StoreCommands.Text), store.History(path).Select(StoreCommands.Text));
            }

            var digest = twin.ComputeDigest();
            await store.CheckpointAsync(timeout.Token);
            store.Dispose();
            store = FasterVersionedStore.Open(options);
            Assert.Equal(digest, store.ComputeDigest());
        }
        finally
        {
            store.Dispose();
            twin.Dispose();
        }
    }

    [Fact]
    public async Task HoldCompaction_KeepsACheckpointStreamable_ThroughCompactingCheckpoints_ThenCompactionResumes()
    {
        var options = Options(compaction: true);
        var store = FasterVersionedStore.Open(options);
        try
        {
            var commands = new StoreCommands(store);
            var retention = commands.NewCommand();
            retention.SetRetention = new SetRetentionOp { Namespace = "default", MaxVersions = Kept };
            Assert.Equal(ResultCode.ResultOk, commands.Apply(retention).Code);
            for (var round = 1; round <= Rounds; round++)
            {
                for (var i = 0; i < Keys; i++)
                    commands.Put(Key(i), Value(i, round));
            }

            CompactHistory(commands);

            // A backup's hold, taken before its checkpoint: the checkpoints after it (which would
            // compact: the log spans far more than the threshold) leave its records in place.
            var hold = store.HoldCompaction();
            var held = await store.CheckpointAsync(timeout.Token);
            var digest = store.ComputeDigest();
            for (var i = 0; i < Keys; i += 3)
                commands.Put(Key(i), Value(i, Rounds + 1));
            CompactHistory(commands);
            await store.CheckpointAsync(timeout.Token);
            Assert.Null(await store.CompactLogAsync());
            Assert.Equal(0, store.Compactions);
            var snapshot = Path.Combine(root, "held.snap");
            using (var file = File.Create(snapshot))
                store.WriteSnapshot(held, file);

            // Released: the next checkpoint compacts, and a checkpoint from before it could no
            // longer be streamed (the race the hold prevents).
            hold.Dispose();
            hold.Dispose(); // twice is harmless
            await store.CheckpointAsync(timeout.Token);
            Assert.Equal(1, store.Compactions);
            Assert.Throws<InvalidOperationException>(() => store.WriteSnapshot(held, Stream.Null));

            using var target = FasterVersionedStore.Open(Options(compaction: true, name: "target"));
            await target.InstallSnapshotAsync(snapshot, timeout.Token);
            Assert.Equal(digest, target.ComputeDigest());
        }
        finally
        {
            store.Dispose();
        }
    }
}
