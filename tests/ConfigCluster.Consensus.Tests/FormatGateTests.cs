using ConfigCluster.Core.Commands;

namespace ConfigCluster.Consensus.Tests;

public sealed class FormatGateTests
{
    [Fact]
    public async Task Apply_CommandOfNewerFormat_HaltsTheApplierInsteadOfSkippingIt()
    {
        await using var log = new LogHarness();
        await log.ApplyAsync(LogHarness.Put("a", "1"));
        var halted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.StateMachine.OnHalted = () =>
        {
            halted.TrySetResult();
            return Task.CompletedTask;
        };
        var newer = LogHarness.Put("a", "2");
        newer.Format = CommandFormat.Supported + 1;

        await log.AppendAndCommitAsync(LogHarness.Put("b", "1"), newer);
        await halted.Task.WaitAsync(LogHarness.Timeout);

        Assert.Contains($"format {CommandFormat.Supported + 1}", log.StateMachine.HaltReason, StringComparison.Ordinal);
        // Nothing of the halted entry is applied, not even the command before the newer one.
        Assert.Equal(1, log.Store.AppliedIndex);
        Assert.Equal(1, log.Store.Revision);
        Assert.Null(log.Store.Get(Key("b")));
    }

    [Fact]
    public async Task Apply_CommandsOfKnownFormats_ApplyAsBefore()
    {
        await using var log = new LogHarness();
        var legacy = LogHarness.Put("a", "1"); // format 0: written before formats existed
        var stamped = LogHarness.Put("b", "1");
        stamped.Format = CommandFormat.Supported;

        var results = await log.ApplyAsync(legacy, stamped);

        Assert.All(results, static r => Assert.Equal(ResultCode.ResultOk, r!.Code));
        Assert.Null(log.StateMachine.HaltReason);
    }

    private static Core.Keys.KeyPath Key(string key)
        => Core.Keys.KeyPath.TryCreate(null, null, key, out var path, out _) ? path : throw new ArgumentException(key);
}
