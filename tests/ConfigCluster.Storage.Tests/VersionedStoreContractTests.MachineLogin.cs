using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Machine login in the store: the log clock, AppRole secret ids spent and expired at apply, token
// expiry and renewal caps counted from the log clock; all replicated (reopen, digest).
public abstract partial class VersionedStoreContractTests
{
    private static readonly byte[] SecretHash = SHA256.HashData("secret-id-1"u8);
    private static readonly byte[] LaterSecretHash = SHA256.HashData("secret-id-2"u8);

    private static CommandResult Tick(StoreCommands commands, long unixMs)
    {
        var command = commands.NewCommand("system:clock");
        command.TimestampUnixMs = unixMs;
        command.LogClock = new LogClockOp();
        return commands.Apply(command);
    }

    private static CommandResult AppRoleLogin(StoreCommands commands, byte[] secretHash, string tokenName)
    {
        var command = commands.NewCommand();
        command.AppRoleLogin = new AppRoleLoginOp
        {
            RoleId = "role-id-1",
            SecretIdHash = ByteString.CopyFrom(secretHash),
            Token = new CreateTokenOp { TokenHash = ByteString.CopyFrom(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(tokenName))), Accessor = "acc-" + tokenName },
        };
        return commands.Apply(command);
    }

    // The same log, applied to a store: a role, a secret id with 2 uses and a 5 s TTL, logins, ticks, a renewal.
    private static List<CommandResult> ApplyMachineLoginLog(StoreCommands commands, long t0)
    {
        var results = new List<CommandResult> { Tick(commands, t0) };
        var role = commands.NewCommand();
        role.AppRole = new AppRoleOp
        {
            Name = "billing",
            Settings = new AppRoleSettings { RoleId = "role-id-1", TokenPolicies = { "billing-read" }, TokenTtlMs = 10_000, TokenMaxTtlMs = 20_000, SecretIdTtlMs = 5_000, SecretIdNumUses = 2, BindSecretId = true },
        };
        results.Add(commands.Apply(role));
        foreach (var hash in new[] { SecretHash, LaterSecretHash })
        {
            var secret = commands.NewCommand();
            secret.AppRoleSecretId = new AppRoleSecretIdOp { Role = "billing", SecretIdHash = ByteString.CopyFrom(hash), Accessor = Convert.ToHexString(hash[..4]) };
            results.Add(commands.Apply(secret));
        }

        results.Add(AppRoleLogin(commands, SecretHash, "t1"));
        results.Add(AppRoleLogin(commands, SecretHash, "t2"));
        results.Add(AppRoleLogin(commands, SecretHash, "t3"));        // no use left
        results.Add(Tick(commands, t0 - 60_000));                     // an older clock entry changes nothing
        var renew = commands.NewCommand();
        renew.RenewToken = new RenewTokenOp { Accessor = "acc-t1", IncrementMs = 3_600_000 };
        results.Add(commands.Apply(renew));                             // capped at the max TTL
        results.Add(Tick(commands, t0 + 6_000));
        results.Add(AppRoleLogin(commands, LaterSecretHash, "t4"));   // its 5 s TTL has passed by the log clock
        return results;
    }

    [Fact]
    public async Task AppRoleLogin_SpendsUsesAndExpiresSecretIds_ByTheLogClock_AndCapsRenewals()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var t0 = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds() + 500_000;   // the leader's clock, ahead of the command stamps
        var results = ApplyMachineLoginLog(commands, t0);
        Assert.All(results.Take(6), static r => Assert.Equal(ResultCode.ResultOk, r.Code));
        Assert.Equal(ResultCode.ResultInvalid, results[6].Code);
        Assert.Equal(FasterVersionedStore.InvalidAppRoleCredentials, results[6].Message);
        Assert.Equal(ResultCode.ResultOk, results[7].Code);
        Assert.Equal(ResultCode.ResultOk, results[8].Code);
        Assert.Equal(ResultCode.ResultInvalid, results[10].Code);

        var t1 = store.FindToken(SHA256.HashData("t1"u8))!;
        Assert.Equal(["billing-read"], t1.Policies);
        Assert.True(t1.Renewable);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(t0 + 20_000), t1.MaxExpiresAt);
        Assert.Equal(t1.MaxExpiresAt, t1.ExpiresAt);   // renewed for an hour, capped at the max TTL
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(t0 + 10_000), store.FindToken(SHA256.HashData("t2"u8))!.ExpiresAt);
        Assert.Null(store.FindToken(SHA256.HashData("t3"u8)));
        Assert.Null(store.FindToken(SHA256.HashData("t4"u8)));
        Assert.Equal(t0 + 6_000, store.LogClock.UnixMs);

        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        Assert.Equal(t0 + 6_000, store.LogClock.UnixMs);
        Assert.Equal("role-id-1", store.FindAppRole("billing")!.RoleId);
        Assert.Equal(["billing"], store.AppRoleNames());
        Assert.Equal(t1.ExpiresAt, store.FindToken(SHA256.HashData("t1"u8))!.ExpiresAt);
    }

    [Fact]
    public void MachineLoginLog_AppliedTwice_GivesTheSameDigest_AndDeletingARoleDropsItsSecretIds()
    {
        var first = Open("first");
        var second = Open("second");
        var t0 = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds();
        ApplyMachineLoginLog(new StoreCommands(first), t0);
        var commands = new StoreCommands(second);
        ApplyMachineLoginLog(commands, t0);
        Assert.Equal(first.ComputeDigest(), second.ComputeDigest());

        var delete = commands.NewCommand();
        delete.AppRole = new AppRoleOp { Name = "billing", Delete = true };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(delete).Code);
        Assert.Null(second.FindAppRole("billing"));
        Assert.NotEqual(first.ComputeDigest(), second.ComputeDigest());
        var recreate = commands.NewCommand();
        recreate.AppRole = new AppRoleOp { Name = "billing", Settings = new AppRoleSettings { RoleId = "role-id-1", BindSecretId = true } };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(recreate).Code);
        Assert.Equal(ResultCode.ResultInvalid, AppRoleLogin(commands, LaterSecretHash, "t5").Code);   // the old secret ids went with the role

        var jwtConfig = commands.NewCommand();
        jwtConfig.JwtConfig = new JwtConfigOp();
        Assert.Equal(ResultCode.ResultInvalid, commands.Apply(jwtConfig).Code);
        var badRole = commands.NewCommand();
        badRole.JwtRole = new JwtRoleOp { Name = "bad/name", Settings = new JwtRoleSettings() };
        Assert.Equal(ResultCode.ResultInvalid, commands.Apply(badRole).Code);
    }
}
