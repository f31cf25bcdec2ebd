using System.Text;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Application.Tests;

/// <summary>The one write path: stamping, sealing, the rebuild loop and the result-code mapping.</summary>
public sealed class WritePipelineTests
{
    [Fact]
    public async Task Put_StampsTheCommand_WithTheFakeClockAndTheCaller()
    {
        using var node = new InProcessNode();
        node.ActAs(InProcessNode.Rule("*", "*", "write"));
        node.Clock.Advance(TimeSpan.FromMinutes(7));

        var outcome = await node.Config.PutAsync(InProcessNode.Path("app.mode"), "\"fast\"", false, null, "req-1", CancellationToken.None);

        Assert.True(outcome.IsSuccess, outcome.Error?.Message);
        var command = Assert.Single(node.Log.Submitted);
        Assert.Equal(node.Clock.GetUtcNow().ToUnixTimeMilliseconds(), command.TimestampUnixMs);
        Assert.Equal("tester", command.Author);
        Assert.Equal("req-1", command.RequestId);
    }

    [Fact]
    public async Task Put_Secret_IsSealedBeforeTheCommandExists_AndOpensOnRead()
    {
        using var node = new InProcessNode();
        const string value = "\"plain-hunter2\"";

        await node.MustPutAsync("db.password", value, secret: true);

        // The first secret adds the keyring's data key, then the sealed put.
        Assert.Equal([Command.OpOneofCase.AddDataKey, Command.OpOneofCase.Put], node.Log.Submitted.Select(static c => c.OpCase));
        var put = node.Log.Submitted[1].Put;
        Assert.True(put.Encrypted);
        Assert.DoesNotContain("hunter2", Encoding.UTF8.GetString(put.Value.Span), StringComparison.Ordinal);
        var read = await node.Config.GetAsync(InProcessNode.Path("db.password"), 0, ReadConsistency.Linearizable, CancellationToken.None);
        Assert.Equal(value, Encoding.UTF8.GetString(read.Value!.Value.Span));
    }

    [Fact]
    public async Task Get_SecretInheritedTwoLevels_OpensWithThePathItWasSealedUnder()
    {
        using var node = new InProcessNode();
        Assert.True((await node.Environments.SetInheritsAsync(null, "prod", "staging", CancellationToken.None)).IsSuccess);
        await node.MustPutAsync("db.password", "\"from-default\"", secret: true);

        var read = await node.Config.GetAsync(InProcessNode.Path("db.password", "prod"), 0, ReadConsistency.Linearizable, CancellationToken.None);

        Assert.True(read.IsSuccess, read.Error?.Message);
        Assert.Equal("default", read.Value!.Path.Environment);
        Assert.Equal("\"from-default\"", Encoding.UTF8.GetString(read.Value.Value.Span));
    }

    [Fact]
    public async Task Rollback_Secret_ReSealsTheOldValueForTheNewVersion()
    {
        using var node = new InProcessNode();
        await node.MustPutAsync("api.key", "\"one\"", secret: true);
        await node.MustPutAsync("api.key", "\"two\"");

        var rolled = await node.Config.RollbackAsync(InProcessNode.Path("api.key"), 1, null, CancellationToken.None);

        Assert.True(rolled.IsSuccess, rolled.Error?.Message);
        Assert.Equal(3, rolled.Value!.Version);
        Assert.True(node.Log.Submitted[^1].Rollback.HasReplacement);
        var read = await node.Config.GetAsync(InProcessNode.Path("api.key"), 0, ReadConsistency.Serializable, CancellationToken.None);
        Assert.Equal("\"one\"", Encoding.UTF8.GetString(read.Value!.Value.Span));
    }

    [Fact]
    public async Task SubmitAsync_StaleViewEveryTime_RebuildsAfterABarrier_ThenGivesUpWithRetry()
    {
        using var node = new InProcessNode();
        for (var i = 0; i <= WritePipeline.MaxRebuilds; i++)
            node.Log.Answer(new CommandResult { Code = ResultCode.ResultRetry, Message = "stale" });

        var outcome = await node.Config.PutAsync(InProcessNode.Path("k"), "1", false, null, null, CancellationToken.None);

        Assert.Equal(ConfigErrorCode.Retry, outcome.Error?.Code);
        Assert.Equal(WritePipeline.MaxRebuilds + 1, node.Log.Submitted.Count);
        Assert.Equal(WritePipeline.MaxRebuilds, node.Barrier.Waits);
    }

    [Fact]
    public async Task SubmitAsync_StaleViewOnce_IsRebuiltAndApplied()
    {
        using var node = new InProcessNode();
        node.Log.Answer(new CommandResult { Code = ResultCode.ResultRetry, Message = "stale" });

        var outcome = await node.Config.PutAsync(InProcessNode.Path("k"), "1", false, null, null, CancellationToken.None);

        Assert.True(outcome.IsSuccess, outcome.Error?.Message);
        Assert.Equal(1, outcome.Value!.Version);
        Assert.Equal(2, node.Log.Submitted.Count);
    }

    [Theory]
    [InlineData(ResultCode.ResultStoreFailure)]
    [InlineData((ResultCode)99)]
    public async Task SubmitOnce_StoreFailureOrUnknownCode_IsOneInternalAnswer(ResultCode code)
    {
        using var node = new InProcessNode();
        node.Log.Answer(new CommandResult { Code = code, Message = "detail not for callers" });

        var outcome = await node.Environments.ApplyChangeSetAsync([new ChangeSetEntry(InProcessNode.Path("k"), "1", false, null)], null, null, CancellationToken.None);

        Assert.Equal(ConfigErrorCode.Internal, outcome.Error?.Code);
        Assert.Equal("the store could not apply the write", outcome.Error!.Message);
    }

    [Fact]
    public async Task Put_VersionMismatch_CarriesTheCurrentVersion()
    {
        using var node = new InProcessNode();
        await node.MustPutAsync("k", "1");

        var outcome = await node.Config.PutAsync(InProcessNode.Path("k"), "2", false, 5, null, CancellationToken.None);

        Assert.Equal(ConfigErrorCode.VersionMismatch, outcome.Error?.Code);
        Assert.Equal(1, outcome.Error!.CurrentVersion);
    }

    [Fact]
    public async Task ChangeSet_ItemWithInvalidJson_IsRefusedNamingIt_AndNothingIsSubmitted()
    {
        using var node = new InProcessNode();

        var outcome = await node.Environments.ApplyChangeSetAsync([new ChangeSetEntry(InProcessNode.Path("bad.item"), "{not json", false, null)], null, null, CancellationToken.None);

        Assert.Equal(ConfigErrorCode.InvalidArgument, outcome.Error?.Code);
        Assert.Contains("bad.item", outcome.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(node.Log.Submitted);
    }
}
