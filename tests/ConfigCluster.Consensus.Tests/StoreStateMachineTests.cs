using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace ConfigCluster.Consensus.Tests;

public sealed class StoreStateMachineTests
{
    [Fact]
    public async Task Apply_SingleCommandEntry_ReturnsItsResult()
    {
        await using var log = new LogHarness();

        var results = await log.ApplyAsync(LogHarness.Put("app.mode", "\"blue\""));

        Assert.Equal(ResultCode.ResultOk, results[0]!.Code);
        Assert.Equal(1, results[0]!.Version);
        Assert.Equal(1, log.Store.AppliedIndex);
    }

    [Fact]
    public async Task Apply_EntryOfAnotherTermThanItsProposal_AppliesButAnswersNoProposer()
    {
        await using var log = new LogHarness();

        // The context was left at this index by a proposal of term 2; the entry applied there is of term 1.
        var results = await log.ApplyAsync(proposedInTerm: 2, LogHarness.Put("app.mode", "\"blue\""));

        Assert.All(results, static r => Assert.Null(r));
        Assert.Equal(1, log.Store.AppliedIndex);
        Assert.NotNull(log.Store.Get(Key("app.mode")));
    }

    [Fact]
    public async Task Apply_BatchEntry_AppliesCommandsInOrderWithOneResultEach()
    {
        await using var log = new LogHarness();

        var results = await log.ApplyAsync(
            LogHarness.Put("app.mode", "\"blue\""),
            LogHarness.Put("app.mode", "\"green\""),
            LogHarness.Put("app.size", "3"));

        Assert.Equal([1L, 2L, 1L], results.Select(static r => r!.Version));
        Assert.Equal([1L, 2L, 3L], results.Select(static r => r!.Revision));
        Assert.Equal(3, log.Store.Revision);
        Assert.Equal(1, log.Store.AppliedIndex);
        var latest = log.Store.Get(Key("app.mode"));
        Assert.Equal("\"green\"", System.Text.Encoding.UTF8.GetString(latest!.Value.Span));
    }

    [Fact]
    public async Task Apply_SameRequestIdTwiceInOneBatch_SecondIsDeduplicated()
    {
        await using var log = new LogHarness();

        var results = await log.ApplyAsync(LogHarness.Put("a", "1", requestId: "r1"), LogHarness.Put("a", "2", requestId: "r1"));

        Assert.False(results[0]!.Deduplicated);
        Assert.True(results[1]!.Deduplicated);
        Assert.Equal(1, results[1]!.Version);
        Assert.Equal(1, log.Store.Revision);
    }

    [Fact]
    public async Task Apply_CommandThatThrows_FailsAloneAndTheApplierCarriesOn()
    {
        await using var log = new LogHarness(wrap: ThrowingStore.Wrap);

        var batch = await log.ApplyAsync(
            LogHarness.Put("a", "1"),
            LogHarness.Put("b", "1", requestId: ThrowingStore.FailingRequestId),
            LogHarness.Put("c", "1"));
        var alone = await log.ApplyAsync(LogHarness.Put("b", "1", requestId: ThrowingStore.FailingRequestId));
        var next = await log.ApplyAsync(LogHarness.Put("d", "1"));

        Assert.Equal([ResultCode.ResultOk, ResultCode.ResultStoreFailure, ResultCode.ResultOk], batch.Select(static r => r!.Code));
        Assert.Equal(ResultCode.ResultStoreFailure, alone[0]!.Code);
        Assert.Equal(ResultCode.ResultOk, next[0]!.Code);
        Assert.Equal(3, log.Store.AppliedIndex);
        Assert.Null(log.Store.Get(Key("b")));
    }

    [Fact]
    public async Task Apply_PastTheSnapshotInterval_OffersThePreviousCheckpointAsSnapshot()
    {
        await using var log = new LogHarness(snapshotInterval: 2);

        for (var i = 0; i < 5; i++)
            await log.ApplyAsync(LogHarness.Put($"k{i}", "1"));

        ISnapshotManager snapshots = log.StateMachine;
        Assert.Equal(4, log.StateMachine.NewestCheckpointIndex);
        // The previous checkpoint keeps one interval of log for followers that lag behind.
        Assert.Equal(2, snapshots.Snapshot!.Index);
    }

    private static KeyPath Key(string key)
        => KeyPath.TryCreate(KeyPath.DefaultScope, KeyPath.DefaultScope, key, out var path, out var error) ? path : throw new ArgumentException(error);
}
