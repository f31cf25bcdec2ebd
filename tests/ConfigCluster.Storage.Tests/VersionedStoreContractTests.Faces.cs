using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// What the API faces add to the store: raw byte values with flags (Consul), change-set checks
// (Consul transactions) and transit keys, all replicated like the rest: in snapshots, recovery
// and the digest.
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult PutBytes(StoreCommands commands, string key, byte[] value, ulong flags, long? expected = null)
    {
        var command = commands.NewCommand();
        command.Put = new PutOp { Key = StoreCommands.Path(key, ns: "consul").ToStoreKey(), Value = ByteString.CopyFrom(value), ValueKind = ValueKind.Bytes, Flags = flags };
        if (expected is { } e)
            (command.Put.HasExpectedVersion, command.Put.ExpectedVersion) = (true, e);
        return commands.Apply(command);
    }

    private static CommandResult Transit(StoreCommands commands, Action<Command> set)
    {
        var command = commands.NewCommand();
        set(command);
        return commands.Apply(command);
    }

    private static TransitCreateKeyOp NewTransitKey(string name) => new() { Name = name, Type = "aes256-gcm96", WrappedMaterial = ByteString.CopyFromUtf8("sealed-1-" + name) };

    [Fact]
    public async Task BytesValue_KeepsKindFlagsAndCreateRevision_ThroughRollbackAndReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        var first = PutBytes(commands, "app/blob", [0xff, 0x00, 0x01], flags: 42);
        Assert.Equal(ResultCode.ResultOk, first.Code);
        Assert.Equal(ResultCode.ResultOk, PutBytes(commands, "app/blob", [0x02], flags: 7).Code);
        var rollback = commands.NewCommand();
        rollback.Rollback = new RollbackOp { Key = StoreCommands.Path("app/blob", ns: "consul").ToStoreKey(), ToVersion = 1 };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(rollback).Code);

        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        var latest = store.Get(StoreCommands.Path("app/blob", ns: "consul"))!;
        Assert.Equal(ValueKind.Bytes, latest.ValueKind);
        Assert.Equal(42UL, latest.Flags);
        Assert.Equal(new byte[] { 0xff, 0x00, 0x01 }, latest.Value.ToArray());
        Assert.Equal(first.Revision, latest.CreateRevision);
        Assert.Equal("{\"base64\":\"/wAB\"}", System.Text.Encoding.UTF8.GetString(latest.ValueAsJson()));
        Assert.Equal(7UL, store.Get(StoreCommands.Path("app/blob", ns: "consul"), 2)!.Flags);
        Assert.Equal(1, latest.RolledBackFrom);
    }

    [Fact]
    public void BytesValue_ForASecretKey_IsRefused()
    {
        var commands = new StoreCommands(Open());
        var command = commands.NewCommand();
        command.Put = new PutOp { Key = StoreCommands.Path("s").ToStoreKey(), Value = ByteString.CopyFromUtf8("x"), ValueKind = ValueKind.Bytes, Secret = true, Encrypted = true, SealedForVersion = 1 };
        Assert.Equal(ResultCode.ResultInvalid, commands.Apply(command).Code);
    }

    [Fact]
    public void ChangeSetCheck_PinsAKeyItDoesNotWrite()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("pinned", "1");
        ChangeSetOp Set(long pinnedAt) => new()
        {
            Items =
            {
                new ChangeSetItem { Check = new CheckOp { Key = StoreCommands.Path("pinned").ToStoreKey(), ExpectedVersion = pinnedAt } },
                new ChangeSetItem { Put = new PutOp { Key = StoreCommands.Path("written").ToStoreKey(), Value = ByteString.CopyFromUtf8("2") } },
            },
        };

        var stale = commands.NewCommand();
        stale.ChangeSet = Set(pinnedAt: 2);
        Assert.Equal(ResultCode.ResultVersionMismatch, commands.Apply(stale).Code);
        Assert.Null(store.Get(StoreCommands.Path("written")));

        var current = commands.NewCommand();
        current.ChangeSet = Set(pinnedAt: 1);
        var applied = commands.Apply(current);
        Assert.Equal(ResultCode.ResultOk, applied.Code);
        Assert.Equal(1, store.Get(StoreCommands.Path("pinned"))!.Version);
        Assert.Equal(applied.Revision, store.Get(StoreCommands.Path("written"))!.Revision);

        var checksOnly = commands.NewCommand();
        checksOnly.ChangeSet = new ChangeSetOp { Items = { new ChangeSetItem { Check = new CheckOp { Key = StoreCommands.Path("pinned").ToStoreKey(), ExpectedVersion = 1 } } } };
        Assert.Equal(ResultCode.ResultInvalid, commands.Apply(checksOnly).Code);
    }

    [Fact]
    public async Task TransitKey_CreateRotateConfigureDelete_SurvivesSnapshotAndCountsInDigest()
    {
        var source = Open("source");
        var commands = new StoreCommands(source);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitCreateKey = NewTransitKey("orders")).Code);
        Assert.Equal(ResultCode.ResultVersionMismatch, Transit(commands, c => c.TransitCreateKey = NewTransitKey("orders")).Code);
        Assert.Equal(ResultCode.ResultRetry, Transit(commands, c => c.TransitRotateKey = new TransitRotateKeyOp { Name = "orders", ExpectedVersion = 5, WrappedMaterial = ByteString.CopyFromUtf8("x") }).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitRotateKey = new TransitRotateKeyOp { Name = "orders", ExpectedVersion = 1, WrappedMaterial = ByteString.CopyFromUtf8("sealed-2") }).Code);
        Assert.Equal(ResultCode.ResultInvalid, Transit(commands, c => c.TransitConfigureKey = new TransitConfigureKeyOp { Name = "orders", HasMinDecryptionVersion = true, MinDecryptionVersion = 3 }).Code);
        Assert.Equal(ResultCode.ResultInvalid, Transit(commands, c => c.TransitDeleteKey = new TransitDeleteKeyOp { Name = "orders" }).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitConfigureKey = new TransitConfigureKeyOp { Name = "orders", HasMinDecryptionVersion = true, MinDecryptionVersion = 2 }).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitCreateKey = NewTransitKey("gone")).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitConfigureKey = new TransitConfigureKeyOp { Name = "gone", HasDeletionAllowed = true, DeletionAllowed = true }).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitDeleteKey = new TransitDeleteKeyOp { Name = "gone" }).Code);

        var key = source.FindTransitKey("orders")!;
        Assert.Equal((2L, 2L), (key.LatestVersion, key.MinDecryptionVersion));
        Assert.Equal("sealed-2", System.Text.Encoding.UTF8.GetString(key.Version(2)!.WrappedMaterial.Span));
        Assert.Equal(["orders"], source.TransitKeyNames());

        var checkpoint = await source.CheckpointAsync(Deadline);
        var digest = source.ComputeDigest();
        var target = Open("target");
        await target.InstallSnapshotAsync(WriteSnapshotFile(source, checkpoint), Deadline);
        Assert.Equal(digest, target.ComputeDigest());
        Assert.Equal(["orders"], target.TransitKeyNames());
        Assert.Null(target.FindTransitKey("gone"));

        // One more rotation on one side only: the replicas no longer look converged.
        Transit(commands, c => c.TransitRotateKey = new TransitRotateKeyOp { Name = "orders", ExpectedVersion = 2, WrappedMaterial = ByteString.CopyFromUtf8("sealed-3") });
        Assert.NotEqual(digest, source.ComputeDigest());
    }
}
