using System.Buffers;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using ConfigCluster.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Consensus.Tests;

/// <summary>
/// The follower's append (the producer overload DotNext's AppendEntries handler calls) keeps
/// Raft's rule: entries it already holds (same index and term) are kept, and its tail is dropped
/// only from the first entry that conflicts. Every placement of an incoming call against a log of
/// five entries (terms 1,1,2,2,2) is tried: each start index, each length, with and without a
/// conflicting term, and the resulting log is compared with the rule's answer entry by entry.
/// </summary>
public sealed class FollowerAppendRuleTests
{
    private static readonly long[] HeldTerms = [1, 1, 2, 2, 2];

    public static TheoryData<int, int, int> Calls()
    {
        var calls = new TheoryData<int, int, int>();
        for (var start = 1; start <= HeldTerms.Length + 1; start++)
        {
            for (var length = 1; length <= HeldTerms.Length + 2 - start + 1; length++)
            {
                // conflictAt: 0 = the leader's entries match where they overlap; k = the k-th entry has term 3.
                for (var conflictAt = 0; conflictAt <= length; conflictAt++)
                    calls.Add(start, length, conflictAt);
            }
        }

        return calls;
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Append_KeepsHeldEntries_AndDropsTheTailOnlyFromAConflict(int start, int length, int conflictAt)
    {
        var root = Directory.CreateTempSubdirectory("cc-append-rule-");
        try
        {
            using var store = FasterVersionedStore.Open(new StoreOptions { Directory = Path.Combine(root.FullName, "store"), IndexSizeBytes = 1L << 20 });
            var stateMachine = new StoreStateMachine(store, 10_000, Path.Combine(root.FullName, "tmp"), NullLogger<StoreStateMachine>.Instance);
            await using var wal = DurableWriteAheadLog.Create(new WriteAheadLog.Options { Location = Path.Combine(root.FullName, "wal") }, stateMachine, DurabilityMode.Fsync);
            IAuditTrail<IRaftLogEntry> log = wal;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

            await log.AppendAsync(Producer(HeldTerms.Select((term, i) => Entry(term, "held", i + 1))), 1, skipCommitted: true, timeout.Token);
            Assert.Equal(HeldTerms.Length, wal.LastEntryIndex);

            // The incoming call: the terms the held log has where they overlap (else the last held term),
            // except from the conflicting entry on, which has a newer term (3), like a new leader's.
            var incoming = new List<BinaryLogEntry>();
            for (var i = 0; i < length; i++)
            {
                var index = start + i;
                var term = conflictAt > 0 && i + 1 >= conflictAt ? 3 : index <= HeldTerms.Length ? HeldTerms[index - 1] : HeldTerms[^1];
                incoming.Add(Entry(term, "sent", index));
            }

            await log.AppendAsync(Producer(incoming), start, skipCommitted: true, timeout.Token);

            // The rule's answer: a held entry with the call's term stays; the first one with another term
            // and everything after it give way to the call's entries.
            var expected = HeldTerms.Select((term, i) => (Term: term, Origin: "held", Index: (long)i + 1)).ToList();
            foreach (var (entry, index) in incoming.Select((e, i) => (e, (long)start + i)))
            {
                if (index <= expected.Count && expected[(int)index - 1].Term == entry.Term)
                    continue;
                expected.RemoveRange((int)index - 1, expected.Count - (int)index + 1);
                expected.Add((entry.Term, "sent", index));
            }

            Assert.Equal(expected.Count, wal.LastEntryIndex);
            using var entries = await wal.ReadAsync(1, wal.LastEntryIndex, timeout.Token);
            for (var i = 0; i < entries.Count; i++)
            {
                Assert.Equal(expected[i].Term, entries[i].Term);
                Assert.True(entries[i].TryGetPayload(out var payload));
                Assert.Equal($"{expected[i].Origin}:{expected[i].Index}", System.Text.Encoding.UTF8.GetString(payload.ToArray()));
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static BinaryLogEntry Entry(long term, string origin, long index) => new() { Term = term, Content = System.Text.Encoding.UTF8.GetBytes($"{origin}:{index}") };

    private static LogEntryProducer<BinaryLogEntry> Producer(IEnumerable<BinaryLogEntry> entries) => new(entries.ToList());
}
