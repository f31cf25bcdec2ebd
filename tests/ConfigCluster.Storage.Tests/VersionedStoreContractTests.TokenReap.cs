using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// wip/tls: expired tokens are reaped at apply, by the log clock; the removal survives a reopen and
// two stores applying the same log agree.
public abstract partial class VersionedStoreContractTests
{
    private static List<CommandResult> ApplyReapLog(StoreCommands commands, long t0)
    {
        var results = new List<CommandResult> { Tick(commands, t0) };
        foreach (var (name, expires) in new[] { ("reap-a", t0 + 1_000), ("reap-b", t0 + 3_600_000), ("reap-c", 0L) })
        {
            var create = commands.NewCommand();
            create.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), Accessor = "acc-" + name, Name = name, ExpiresUnixMs = expires };
            results.Add(commands.Apply(create));
        }

        results.Add(Reap(commands, graceMs: 10_000));   // reap-a expired 0 ms ago by the log clock: not yet
        results.Add(Tick(commands, t0 + 20_000));
        results.Add(Reap(commands, graceMs: 10_000));   // now 19 s past its expiry
        return results;
    }

    private static CommandResult Reap(StoreCommands commands, long graceMs)
    {
        var reap = commands.NewCommand("system:token-reaper");
        reap.ReapTokens = new ReapTokensOp { GraceMs = graceMs, MaxTokens = 10 };
        return commands.Apply(reap);
    }

    [Fact]
    public async Task ReapTokens_RemovesTokensExpiredLongerThanTheGrace_ByTheLogClock_AndSurvivesReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var t0 = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds() + 500_000;
        var results = ApplyReapLog(commands, t0);
        Assert.All(results, static r => Assert.Equal(ResultCode.ResultOk, r.Code));
        Assert.Equal(0, results[4].Version);
        Assert.Equal(1, results[6].Version);
        Assert.Null(store.FindToken(SHA256.HashData("reap-a"u8)));
        Assert.Equal(["reap-b", "reap-c"], store.Tokens().Select(static t => t.Name));

        Assert.Equal(ResultCode.ResultInvalid, Reap(commands, graceMs: -1).Code);
        var digest = store.ComputeDigest();
        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        Assert.Null(store.FindToken(SHA256.HashData("reap-a"u8)));
        Assert.Equal(["reap-b", "reap-c"], store.Tokens().Select(static t => t.Name));
        Assert.Equal(digest, store.ComputeDigest());

        var other = Open("other");
        ApplyReapLog(new StoreCommands(other), t0);
        Assert.Equal(digest, other.ComputeDigest());
    }
}
