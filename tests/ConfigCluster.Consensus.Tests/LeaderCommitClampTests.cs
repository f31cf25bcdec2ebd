using ConfigCluster.Storage;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Consensus.Tests;

/// <summary>
/// The WAL's commit as DotNext's leader and follower call it (<c>IAuditTrail.CommitAsync</c>): on
/// a leader of 5 members it commits only what the leader synced and two followers reported, and
/// only up to an entry of the leader's term; on a follower it commits what the leader said.
/// </summary>
public sealed class LeaderCommitClampTests : IAsyncLifetime
{
    private static readonly string[] Followers = ["f1:1", "f2:1", "f3:1", "f4:1"];

    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("cc-commit-clamp-");
    private readonly FasterVersionedStore store;
    private readonly DurableWriteAheadLog wal;
    private readonly MajorityCommitRule rule = new();
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));

    public LeaderCommitClampTests()
    {
        store = FasterVersionedStore.Open(new StoreOptions { Directory = Path.Combine(root.FullName, "store"), IndexSizeBytes = 1L << 20 });
        var stateMachine = new StoreStateMachine(store, 10_000, Path.Combine(root.FullName, "tmp"), NullLogger<StoreStateMachine>.Instance);
        wal = DurableWriteAheadLog.Create(new WriteAheadLog.Options { Location = Path.Combine(root.FullName, "wal") }, stateMachine, DurabilityMode.Fsync);
        wal.CommitRule = rule;
        wal.Followers = static () => Followers;
    }

    private IAuditTrail Log => wal;

    [Fact]
    public async Task Leader_CommitsOnlyWhatAMajorityReported_WhateverDotNextAsks()
    {
        await AppendInTermAsync(5, count: 4);
        rule.Lead(5);
        await wal.WaitDurableAsync(4, timeout.Token);

        Assert.Equal(0, await Log.CommitAsync(4, timeout.Token)); // DotNext's round counted 4; nobody reported
        Assert.Equal(0, wal.LastCommittedEntryIndex);

        Assert.True(rule.Report("f1:1", 4, 5));
        Assert.Equal(0, await wal.CommitReportedAsync(timeout.Token)); // leader + 1 of 5
        Assert.True(rule.Report("f3:1", 2, 5));
        Assert.Equal(2, await wal.CommitReportedAsync(timeout.Token)); // leader, f1, f3 hold 1-2
        Assert.Equal(2, wal.LastCommittedEntryIndex);

        Assert.Equal(0, await Log.CommitAsync(4, timeout.Token));
        Assert.True(rule.Report("f2:1", 4, 5));
        Assert.Equal(2, await Log.CommitAsync(4, timeout.Token)); // leader, f1, f2 hold 3-4
        Assert.Equal(4, wal.LastCommittedEntryIndex);
    }

    [Fact]
    public async Task Leader_CommitsAnEarlierTermsEntries_OnlyUnderOneOfItsOwnTerm()
    {
        await AppendInTermAsync(4, count: 2);
        await AppendInTermAsync(5, count: 1); // index 3: the new leader's first entry
        rule.Lead(5);
        await wal.WaitDurableAsync(3, timeout.Token);
        Assert.True(rule.Report("f1:1", 2, 5));
        Assert.True(rule.Report("f2:1", 2, 5));

        Assert.Equal(0, await wal.CommitReportedAsync(timeout.Token)); // a majority holds 2, of term 4
        Assert.Equal(0, wal.LastCommittedEntryIndex);

        Assert.True(rule.Report("f2:1", 3, 5));
        Assert.True(rule.Report("f4:1", 3, 5));
        Assert.Equal(3, await wal.CommitReportedAsync(timeout.Token));
    }

    [Fact]
    public async Task Follower_CommitsWhatTheLeaderSays()
    {
        await AppendInTermAsync(5, count: 3);
        rule.Lead(-1);
        Assert.Equal(2, await Log.CommitAsync(2, timeout.Token));
        Assert.Equal(0, await wal.CommitReportedAsync(timeout.Token));
        Assert.Equal(2, wal.LastCommittedEntryIndex);
    }

    private async Task AppendInTermAsync(long term, int count)
    {
        await ((IPersistentState)wal).UpdateTermAsync(term, resetLastVote: false, timeout.Token);
        IAuditTrail<IRaftLogEntry> log = wal;
        for (var i = 0; i < count; i++)
            await log.AppendAsync(new BinaryLogEntry { Term = term, Content = EntryPayload.Encode([LogHarness.Put($"k{term}.{i}", "1")]) }, timeout.Token);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await wal.DisposeAsync();
        store.Dispose();
        timeout.Dispose();
        root.Delete(recursive: true);
    }
}
