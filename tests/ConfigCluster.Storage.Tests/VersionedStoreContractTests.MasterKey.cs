using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Master key rotation: the keyring re-wrapped in one entry, refused when it does
// not cover the keyring as it stands, and key material wrapped under a retired master key refused.
public abstract partial class VersionedStoreContractTests
{
    private static readonly ByteString OldCheck = ByteString.CopyFrom([1, 1, 1, 1, 1, 1, 1, 1]);
    private static readonly ByteString NewCheck = ByteString.CopyFrom([2, 2, 2, 2, 2, 2, 2, 2]);

    private static CommandResult AddDataKey(StoreCommands commands, byte id, ByteString check) => Transit(commands, c => c.AddDataKey = new AddDataKeyOp
    {
        KeyId = ByteString.CopyFrom(Enumerable.Repeat(id, Core.Crypto.SecretEnvelope.KeyIdSize).ToArray()),
        WrappedKey = ByteString.CopyFromUtf8("wrapped-" + id),
        MasterKeyCheck = check,
    });

    private static RotateMasterKeyOp Rotation(IVersionedStore store, ByteString oldCheck, ByteString newCheck, string tag)
    {
        var rotate = new RotateMasterKeyOp { OldKeyCheck = oldCheck, NewKeyCheck = newCheck, WrappedFingerprintKey = ByteString.CopyFromUtf8("fingerprint-" + tag) };
        foreach (var key in store.DataKeys())
            rotate.DataKeys.Add(new RewrappedDataKey { Sequence = key.Sequence, KeyId = ByteString.CopyFrom(key.KeyId.Span), WrappedKey = ByteString.CopyFromUtf8($"{tag}-{key.Sequence}") });
        foreach (var name in store.TransitKeyNames())
        {
            foreach (var version in store.FindTransitKey(name)!.Versions)
                rotate.TransitKeys.Add(new RewrappedTransitKey { Name = name, Version = version.Version, WrappedMaterial = ByteString.CopyFromUtf8($"{tag}-{name}-{version.Version}") });
        }

        return rotate;
    }

    [Fact]
    public async Task RotateMasterKey_RewrapsTheWholeKeyring_RefusesStaleProposals_AndReplicates()
    {
        var source = Open("source");
        var commands = new StoreCommands(source);
        Assert.Equal(ResultCode.ResultOk, AddDataKey(commands, 1, ByteString.Empty).Code);
        Assert.Equal(ResultCode.ResultOk, AddDataKey(commands, 2, ByteString.Empty).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitCreateKey = NewTransitKey("orders")).Code);
        Assert.Null(source.MasterKeyWrapping());

        // Built before a data key was added: it does not cover the keyring, so it is refused whole.
        var stale = Rotation(source, ByteString.Empty, OldCheck, "g1");
        Assert.Equal(ResultCode.ResultOk, AddDataKey(commands, 3, ByteString.Empty).Code);
        Assert.Equal(ResultCode.ResultRetry, Transit(commands, c => c.RotateMasterKey = stale).Code);
        Assert.Null(source.MasterKeyWrapping());
        Assert.Equal(ResultCode.ResultInvalid, Transit(commands, c => c.RotateMasterKey = new RotateMasterKeyOp { NewKeyCheck = ByteString.CopyFromUtf8("short") }).Code);

        var first = Transit(commands, c => c.RotateMasterKey = Rotation(source, ByteString.Empty, OldCheck, "g1"));
        Assert.Equal((ResultCode.ResultOk, 1L), (first.Code, first.Version));
        Assert.Equal(OldCheck.ToByteArray(), source.MasterKeyWrapping()!.KeyCheck.ToArray());
        Assert.All(source.DataKeys(), k => Assert.Equal($"g1-{k.Sequence}", System.Text.Encoding.UTF8.GetString(k.Wrapped.Span)));
        Assert.Equal("g1-orders-1", System.Text.Encoding.UTF8.GetString(source.FindTransitKey("orders")!.Version(1)!.WrappedMaterial.Span));

        // Material wrapped under another master key than the recorded one is refused.
        Assert.Equal(ResultCode.ResultRetry, AddDataKey(commands, 4, ByteString.Empty).Code);
        Assert.Equal(ResultCode.ResultRetry, AddDataKey(commands, 4, NewCheck).Code);
        Assert.Equal(ResultCode.ResultRetry, Transit(commands, c => c.TransitRotateKey = new TransitRotateKeyOp { Name = "orders", ExpectedVersion = 1, WrappedMaterial = ByteString.CopyFromUtf8("x"), MasterKeyCheck = NewCheck }).Code);
        Assert.Equal(ResultCode.ResultOk, Transit(commands, c => c.TransitRotateKey = new TransitRotateKeyOp { Name = "orders", ExpectedVersion = 1, WrappedMaterial = ByteString.CopyFromUtf8("x"), MasterKeyCheck = OldCheck }).Code);
        // A second rotation must name the recorded key as the old one.
        Assert.Equal(ResultCode.ResultRetry, Transit(commands, c => c.RotateMasterKey = Rotation(source, NewCheck, NewCheck, "g2")).Code);
        var second = Transit(commands, c => c.RotateMasterKey = Rotation(source, OldCheck, NewCheck, "g2"));
        Assert.Equal((ResultCode.ResultOk, 2L), (second.Code, second.Version));
        Assert.Equal("g2-orders-2", System.Text.Encoding.UTF8.GetString(source.FindTransitKey("orders")!.Version(2)!.WrappedMaterial.Span));

        var checkpoint = await source.CheckpointAsync(Deadline);
        var digest = source.ComputeDigest();
        var target = Open("target");
        await target.InstallSnapshotAsync(WriteSnapshotFile(source, checkpoint), Deadline);
        Assert.Equal(digest, target.ComputeDigest());
        Assert.Equal(NewCheck.ToByteArray(), target.MasterKeyWrapping()!.KeyCheck.ToArray());
        Assert.Equal(2L, target.MasterKeyWrapping()!.Generation);
        source = Reopen(source, "source");
        Assert.Equal(digest, source.ComputeDigest());
        Assert.Equal("fingerprint-g2", System.Text.Encoding.UTF8.GetString(source.MasterKeyWrapping()!.WrappedFingerprintKey.Span));
    }
}
