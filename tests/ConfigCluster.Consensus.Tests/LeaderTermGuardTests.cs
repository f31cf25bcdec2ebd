using ConfigCluster.Storage;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Consensus.Tests;

/// <summary>
/// The leader's tail append (the overload DotNext's ReplicateAsync and its no-op use) refuses an
/// entry whose term is not the log's: a leader whose term a newer leader's message has raised
/// appends nothing, so it cannot put an entry of the newer term where that leader has another.
/// </summary>
public sealed class LeaderTermGuardTests
{
    [Theory]
    [InlineData(4, false)]   // the old leadership's term, after the log moved to 5: refused
    [InlineData(5, true)]    // the log's term: appended
    [InlineData(6, false)]   // a term the log has not reached: refused
    public async Task TailAppend_OnlyForAnEntryOfTheLogsTerm(long entryTerm, bool appended)
    {
        var root = Directory.CreateTempSubdirectory("cc-term-guard-");
        try
        {
            using var store = FasterVersionedStore.Open(new StoreOptions { Directory = Path.Combine(root.FullName, "store"), IndexSizeBytes = 1L << 20 });
            var stateMachine = new StoreStateMachine(store, 10_000, Path.Combine(root.FullName, "tmp"), NullLogger<StoreStateMachine>.Instance);
            await using var wal = DurableWriteAheadLog.Create(new WriteAheadLog.Options { Location = Path.Combine(root.FullName, "wal") }, stateMachine, DurabilityMode.Fsync);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            IAuditTrail<IRaftLogEntry> log = wal;
            await log.AppendAsync(new BinaryLogEntry { Term = 0, Content = new byte[] { 1 } }, timeout.Token);
            await ((IPersistentState)wal).UpdateTermAsync(5, resetLastVote: false, timeout.Token);

            var append = log.AppendAsync(new BinaryLogEntry { Term = entryTerm, Content = new byte[] { 2 } }, timeout.Token).AsTask();

            if (appended)
            {
                Assert.Equal(2, await append);
                Assert.Equal(2, wal.LastEntryIndex);
            }
            else
            {
                var refused = await Assert.ThrowsAsync<StaleLeadershipException>(() => append);
                Assert.Equal(entryTerm, refused.EntryTerm);
                Assert.Equal(5, refused.LogTerm);
                Assert.Equal(1, wal.LastEntryIndex);
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
