using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Expired tokens are reaped at apply, by the log clock; the removal survives a reopen and
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

// Revoked tokens are reaped too: the first reap after a revocation stamps its log time, and the
// token goes once the grace has passed from that stamp.
public abstract partial class VersionedStoreContractTests
{
    // The leader's question (whether to propose a reap) is FASTER's alone: not on the interface.
    private static bool ReapDue(IVersionedStore store, long logNowUnixMs, TimeSpan grace)
        => Assert.IsType<FasterVersionedStore>(store).HasTokensToReap(logNowUnixMs, grace);

    private static List<CommandResult> ApplyRevokedReapLog(StoreCommands commands, long t0)
    {
        var results = new List<CommandResult> { Tick(commands, t0) };
        foreach (var name in new[] { "rev-a", "rev-b" })
        {
            var create = commands.NewCommand();
            create.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), Accessor = "acc-" + name, Name = name };
            results.Add(commands.Apply(create));
        }

        var revoke = commands.NewCommand();
        revoke.RevokeToken = new RevokeTokenOp { Accessor = "acc-rev-a" };
        results.Add(commands.Apply(revoke));
        results.Add(Reap(commands, graceMs: 10_000));   // [4] stamps rev-a's revocation at t0
        results.Add(Tick(commands, t0 + 9_000));
        results.Add(Reap(commands, graceMs: 10_000));   // [6] 9 s since the stamp: kept
        results.Add(Tick(commands, t0 + 10_500));
        results.Add(Reap(commands, graceMs: 10_000));   // [8] 10.5 s: removed
        return results;
    }

    [Fact]
    public async Task ReapTokens_RemovesRevokedTokensOnceTheGraceHasPassedSinceARevocationWasSeen_AndSurvivesReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var t0 = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds() + 500_000;
        Assert.False(ReapDue(store, t0, TimeSpan.FromSeconds(10)));
        var results = ApplyRevokedReapLog(commands, t0);
        Assert.All(results, static r => Assert.Equal(ResultCode.ResultOk, r.Code));
        Assert.Equal([0L, 0L, 1L], new[] { results[4].Version, results[6].Version, results[8].Version });
        Assert.Null(store.FindToken(SHA256.HashData("rev-a"u8)));
        Assert.Equal(["rev-b"], store.Tokens().Select(static t => t.Name));
        Assert.False(ReapDue(store, t0 + 3_600_000, TimeSpan.FromSeconds(10)));

        var digest = store.ComputeDigest();
        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        Assert.Null(store.FindToken(SHA256.HashData("rev-a"u8)));
        Assert.Equal(digest, store.ComputeDigest());

        var other = Open("other");
        ApplyRevokedReapLog(new StoreCommands(other), t0);
        Assert.Equal(digest, other.ComputeDigest());
    }

    [Fact]
    public void ReapTokens_ARevokedTokenStillWithinItsGrace_IsListedAsRevoked_AndAReapIsDue_UntilSeen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var t0 = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds() + 500_000;
        Tick(commands, t0);
        var create = commands.NewCommand();
        create.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(SHA256.HashData("rev-c"u8)), Accessor = "acc-rev-c", Name = "rev-c" };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(create).Code);
        Assert.False(ReapDue(store, t0, TimeSpan.FromHours(1)));

        var revoke = commands.NewCommand();
        revoke.RevokeToken = new RevokeTokenOp { Accessor = "acc-rev-c" };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(revoke).Code);
        Assert.True(ReapDue(store, t0, TimeSpan.FromHours(1)));   // not seen yet: a reap is due to stamp it

        Assert.Equal(0, Reap(commands, graceMs: 3_600_000).Version);
        Assert.False(ReapDue(store, t0 + 60_000, TimeSpan.FromHours(1)));
        Assert.True(ReapDue(store, t0 + 3_600_000, TimeSpan.FromHours(1)));
        Assert.True(Assert.Single(store.Tokens()).Revoked);
    }
}
