using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Consensus.Tests;

/// <summary>
/// The WAL tells <see cref="DurableIndexWatcher"/> when each flush round is done
/// (<see cref="WalFlushEvents"/>): appended entries become durable through those notifications,
/// never through the watcher's fallback, and the index it reports is the one DotNext's checkpoint
/// record holds on disk.
/// </summary>
public sealed class DurableWriteAheadLogTests
{
    [Fact]
    public async Task AppendedEntries_BecomeDurable_ThroughTheFlushersNotifications()
    {
        var root = Directory.CreateTempSubdirectory("cc-durable-");
        try
        {
            using var store = FasterVersionedStore.Open(new StoreOptions { Directory = Path.Combine(root.FullName, "store"), IndexSizeBytes = 1L << 20 });
            var stateMachine = new StoreStateMachine(store, 10_000, Path.Combine(root.FullName, "tmp"), NullLogger<StoreStateMachine>.Instance);
            var location = Path.Combine(root.FullName, "wal");
            await using var wal = DurableWriteAheadLog.Create(
                new WriteAheadLog.Options { Location = location },
                stateMachine,
                DurabilityMode.Fsync);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            long index = 0;
            for (var i = 0; i < 50; i++)
            {
                index = await wal.AppendAsync(new BinaryLogEntry { Content = EntryPayload.Encode([Put($"k{i}")]), Term = 1, Context = new ProposalContext(1) { Term = 1 } }, timeout.Token);
                await wal.WaitDurableAsync(index, timeout.Token);
            }

            // The checkpoint record on disk names the last entry, and no wait needed the fallback.
            var record = await File.ReadAllBytesAsync(Path.Combine(location, "checkpoint"), timeout.Token);
            Assert.True(BitConverter.ToInt64(record, 12) >= index, $"checkpoint names {BitConverter.ToInt64(record, 12)}, expected at least {index}");
            Assert.Equal(0, wal.DurableFallbacks);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static Command Put(string key) => new()
    {
        Author = "tester",
        TimestampUnixMs = 1_700_000_000_000,
        Put = new PutOp
        {
            Key = (KeyPath.TryCreate(KeyPath.DefaultScope, KeyPath.DefaultScope, key, out var path, out var error) ? path : throw new ArgumentException(error)).ToStoreKey(),
            Value = ByteString.CopyFromUtf8("1"),
        },
    };
}
