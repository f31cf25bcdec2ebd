using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Tokens bound to networks and periodic tokens: validated and set at apply, renewed by the period.
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult CreateBoundToken(StoreCommands commands, string name, Action<CreateTokenOp> shape)
    {
        var create = commands.NewCommand();
        create.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name))), Accessor = "acc-" + name, Name = name, LogTimeExpiry = true };
        shape(create.CreateToken);
        return commands.Apply(create);
    }

    [Fact]
    public void CreateToken_BoundCidrsAndPeriod_AreKept_BadNetworksRefused_AndRenewalExtendsByThePeriod()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var t0 = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds() + 500_000;
        Tick(commands, t0);
        Assert.Equal(ResultCode.ResultOk, CreateBoundToken(commands, "bound", static c => c.BoundCidrs.Add(["10.0.0.0/8", "::1"])).Code);
        Assert.Equal(ResultCode.ResultOk, CreateBoundToken(commands, "periodic", static c => { c.PeriodMs = 60_000; c.TtlMs = 60_000; c.MaxTtlMs = 0; }).Code);
        var bad = CreateBoundToken(commands, "bad", static c => c.BoundCidrs.Add("10.0.0.0/33"));
        Assert.Equal(ResultCode.ResultInvalid, bad.Code);
        Assert.Contains("10.0.0.0/33", bad.Message, StringComparison.Ordinal);
        Assert.Null(store.FindToken(SHA256.HashData("bad"u8)));

        var bound = store.FindToken(SHA256.HashData("bound"u8))!;
        Assert.Equal(["10.0.0.0/8", "::1"], bound.BoundCidrs);
        Assert.Null(bound.Period);
        var periodic = store.FindToken(SHA256.HashData("periodic"u8))!;
        Assert.Equal(TimeSpan.FromMinutes(1), periodic.Period);
        Assert.True(periodic.Renewable);
        Assert.Equal(t0 + 60_000, periodic.ExpiresAt!.Value.ToUnixTimeMilliseconds());

        // A renewal asking for 5 s extends a periodic token by its period, from the log clock.
        Tick(commands, t0 + 30_000);
        var renew = commands.NewCommand();
        renew.RenewToken = new RenewTokenOp { Accessor = "acc-periodic", IncrementMs = 5_000 };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(renew).Code);
        Assert.Equal(t0 + 90_000, store.FindToken(SHA256.HashData("periodic"u8))!.ExpiresAt!.Value.ToUnixTimeMilliseconds());
    }
}
