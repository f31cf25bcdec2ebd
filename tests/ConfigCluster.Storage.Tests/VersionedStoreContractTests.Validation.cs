using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Apply must not trust its input: bad commands, replayed entries and secret rules.
public abstract partial class VersionedStoreContractTests
{
    [Theory]
    [InlineData("put", "default", "default", "bad..key")]
    [InlineData("put", "default", "default", ".lead")]
    [InlineData("put", "default", "default", "trail.")]
    [InlineData("put", "default", "default", "sp ace")]
    [InlineData("put", "default", "default", "")]
    [InlineData("put", "Team", "default", "k")]
    [InlineData("put", "default", "prod/eu", "k")]
    [InlineData("put", null, null, null)]
    [InlineData("delete", "default", "default", "bad..key")]
    [InlineData("delete", null, null, null)]
    [InlineData("rollback", "default", "default", "bad..key")]
    [InlineData("rollback", "UPPER", "default", "k")]
    public void Apply_InvalidKey_ReturnsInvalidAndChangesNothing(string operation, string? ns, string? env, string? key)
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        var digest = store.ComputeDigest();
        // null means "no key at all" in the command.
        var storeKey = key is null ? null : new StoreKey { Namespace = ns, Environment = env, Key = key };
        var command = commands.NewCommand();
        switch (operation)
        {
            case "put":
                command.Put = new PutOp { Key = storeKey, Value = ByteString.CopyFromUtf8("2") };
                break;
            case "delete":
                command.Delete = new DeleteOp { Key = storeKey };
                break;
            default:
                command.Rollback = new RollbackOp { Key = storeKey, ToVersion = 1 };
                break;
        }

        var result = commands.Apply(command);

        Assert.Equal(ResultCode.ResultInvalid, result.Code);
        Assert.False(string.IsNullOrEmpty(result.Message));
        Assert.Equal(1, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Single(store.AllKeys());
        // The entry itself was consumed: a rejected command is still an applied log entry.
        Assert.Equal(commands.LastIndex, store.AppliedIndex);
    }

    [Fact]
    public void Apply_CommandWithoutOperation_ReturnsInvalidAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);

        var result = commands.Apply(commands.NewCommand());

        Assert.Equal(ResultCode.ResultInvalid, result.Code);
        Assert.Equal(0, store.Revision);
        Assert.Empty(store.AllKeys());
    }

    [Fact]
    public void Apply_IndexBelowAppliedIndex_IsIgnored()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("k", "1");
        commands.Put("k", "2");
        var digest = store.ComputeDigest();
        var replay = new Command { Author = "x", Put = new PutOp { Key = StoreCommands.Path("k").ToStoreKey(), Value = ByteString.CopyFromUtf8("9") } };
        var fresh = new Command { Author = "x", Put = new PutOp { Key = StoreCommands.Path("new").ToStoreKey(), Value = ByteString.CopyFromUtf8("9") } };

        // Index 2 is the applied one: a batch entry's later commands share it, so only lower ones are stale.
        store.Apply(replay, 1, StoreCommands.Term);
        store.Apply(fresh, 1, StoreCommands.Term);

        Assert.Equal(2, store.AppliedIndex);
        Assert.Equal(2, store.Revision);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal("2", StoreCommands.Text(store.Get(StoreCommands.Path("k"))!));
        Assert.Null(store.Get(StoreCommands.Path("new")));
    }

    [Fact]
    public void Skip_EntryWithoutCommand_AdvancesAppliedIndexOnly()
    {
        var store = Open();
        new StoreCommands(store).Put("k", "1");

        store.Skip(3, 2);
        store.Skip(1, 2);
        var ignored = store.Apply(new Command { Put = new PutOp { Key = StoreCommands.Path("k").ToStoreKey(), Value = ByteString.CopyFromUtf8("9") } }, 2, 2);

        Assert.NotEqual(ResultCode.ResultOk, ignored.Code);
        Assert.Equal(3, store.AppliedIndex);
        Assert.Equal(1, store.Revision);
        Assert.Equal(1, store.Get(StoreCommands.Path("k"))!.Version);
    }

    [Fact]
    public void Apply_RetriedRequestId_AppliesOnceAndRepeatsFirstResult()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var command = commands.NewCommand();
        command.RequestId = "req-1";
        command.Put = new PutOp { Key = StoreCommands.Path("k").ToStoreKey(), Value = ByteString.CopyFromUtf8("1") };

        var first = commands.Apply(command);
        var again = commands.Apply(command);

        Assert.False(first.Deduplicated);
        Assert.True(again.Deduplicated);
        Assert.Equal(first.Version, again.Version);
        Assert.Equal(first.Revision, again.Revision);
        Assert.Equal(1, store.Revision);
        Assert.Single(store.History(StoreCommands.Path("k")));
    }

    [Fact]
    public void Apply_LaterPutToSecretKey_StaysSecret()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        Assert.Equal(ResultCode.ResultOk, commands.PutSealed("db.password", [1, 2, 3], sealedForVersion: 1, secret: true).Code);

        // The later write does not say "secret" again; the key keeps it.
        var later = commands.PutSealed("db.password", [4, 5, 6], sealedForVersion: 2, secret: false);
        var deleted = commands.Delete("db.password");

        Assert.Equal(ResultCode.ResultOk, later.Code);
        Assert.Equal(ResultCode.ResultOk, deleted.Code);
        var history = store.History(StoreCommands.Path("db.password"));
        Assert.All(history, static v => Assert.True(v.Secret));
        Assert.Equal(new byte[] { 4, 5, 6 }, history[1].Value.ToArray());
    }

    [Fact]
    public void Apply_PlaintextPutToSecretKey_ReturnsRetryAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.PutSealed("db.password", [1, 2, 3], sealedForVersion: 1, secret: true);
        var digest = store.ComputeDigest();

        var plain = commands.Put("db.password", "\"leaked\"");
        var staleSeal = commands.PutSealed("db.password", [7], sealedForVersion: 1, secret: true);

        Assert.Equal(ResultCode.ResultRetry, plain.Code);
        Assert.Equal(ResultCode.ResultRetry, staleSeal.Code);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.Equal(new byte[] { 1, 2, 3 }, store.Get(StoreCommands.Path("db.password"))!.Value.ToArray());
    }

    [Fact]
    public void Apply_SecretPutOnLivePlainKey_ReturnsInvalidAndChangesNothing()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("db.password", "\"plain\"");
        var digest = store.ComputeDigest();

        var result = commands.PutSealed("db.password", [1, 2, 3], sealedForVersion: 2, secret: true);

        Assert.Equal(ResultCode.ResultInvalid, result.Code);
        Assert.Equal(digest, store.ComputeDigest());
        Assert.False(store.Get(StoreCommands.Path("db.password"))!.Secret);
    }

    [Fact]
    public void Apply_SecretPutAfterPlainKeyDeleted_RecreatesItAsSecret()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("db.password", "\"plain\"");
        commands.Delete("db.password");

        var result = commands.PutSealed("db.password", [1, 2, 3], sealedForVersion: 3, secret: true);

        Assert.Equal(ResultCode.ResultOk, result.Code);
        Assert.True(store.Get(StoreCommands.Path("db.password"))!.Secret);
        Assert.False(store.Get(StoreCommands.Path("db.password"), 1)!.Secret);
    }
}
