using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// The digest covers every replicated table, not only keys: two replicas that differ in a token,
// a policy, the keyring, an environment, a retention, an audit checkpoint or a remembered request
// id must not look converged; a snapshot carries all of them.
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult ApplyOp(StoreCommands commands, Action<Command> set, string? requestId = null)
    {
        var command = commands.NewCommand();
        set(command);
        if (requestId is not null)
            command.RequestId = requestId;
        var result = commands.Apply(command);
        Assert.Equal(ResultCode.ResultOk, result.Code);
        return result;
    }

    private static CreateTokenOp Token(string accessor, string policy) => new()
    {
        TokenHash = ByteString.CopyFrom(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("secret of " + accessor))),
        Accessor = accessor,
        Name = accessor,
        Policies = { policy },
    };

    private static PutPolicyOp Policy(string name, string capability) => new()
    {
        Name = name,
        Rules = { new PolicyRule { Path = "app.*", Namespace = "default", Environment = "*", Capabilities = { capability } } },
    };

    // Every table written once, the same way on each store it is applied to.
    private static void ApplyEveryTable(StoreCommands commands)
    {
        ApplySameHistory(commands);
        ApplyOp(commands, c => c.CreateToken = Token("acc-1", "readers"));
        ApplyOp(commands, c => c.PutPolicy = Policy("readers", "read"));
        ApplyOp(commands, c => c.AddDataKey = new AddDataKeyOp { KeyId = ByteString.CopyFrom(new byte[Core.Crypto.SecretEnvelope.KeyIdSize]), WrappedKey = ByteString.CopyFromUtf8("wrapped") });
        ApplyOp(commands, c => c.SetEnvironment = new SetEnvironmentOp { Namespace = "default", Environment = "staging", Inherits = "default" });
        ApplyOp(commands, c => c.SetRetention = new SetRetentionOp { Namespace = "team-b", MaxVersions = 5 });
        ApplyOp(commands, c => c.AuditCheckpoint = new AuditCheckpointOp { NodeId = "n1", LineCount = 3, ChainMac = new string('a', 64) });
        ApplyOp(commands, c => c.Put = new PutOp { Key = StoreCommands.Path("with-id").ToStoreKey(), Value = ByteString.CopyFromUtf8("1") }, requestId: "req-1");
        ApplyOp(commands, c => c.Put = new PutOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), Value = ByteString.CopyFromUtf8("{\"a\":1}") });
        ApplyOp(commands, c => c.Put = new PutOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), Value = ByteString.CopyFromUtf8("{\"a\":2}") });
        ApplyOp(commands, c => c.KvMount = new KvMountOp { Name = "team", Mode = KvMountMode.Create });
        ApplyOp(commands, c => c.KvMetadata = new KvMetadataOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), HasMaxVersions = true, MaxVersions = 3 });
        ApplyOp(commands, c => c.KvVersions = new KvVersionsOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), Action = KvVersionAction.Delete, Versions = { 1 } });
    }

    [Theory]
    [InlineData("policy")]
    [InlineData("token")]
    [InlineData("revoked-token")]
    [InlineData("data-key")]
    [InlineData("environment")]
    [InlineData("retention")]
    [InlineData("audit-checkpoint")]
    [InlineData("request-id")]
    [InlineData("kv-mount")]
    [InlineData("kv-metadata")]
    [InlineData("kv-version")]
    public void ComputeDigest_StoresDifferingOnlyInOneTable_Differ(string table)
    {
        var a = Open("a");
        var b = Open("b");
        var ca = new StoreCommands(a);
        var cb = new StoreCommands(b);
        ApplyEveryTable(ca);
        ApplyEveryTable(cb);

        // One command on each side, at the same index and time, differing in one table only.
        switch (table)
        {
            case "policy":
                ApplyOp(ca, c => c.PutPolicy = Policy("writers", "read"));
                ApplyOp(cb, c => c.PutPolicy = Policy("writers", "write"));
                break;
            case "token":
                ApplyOp(ca, c => c.CreateToken = Token("acc-2", "readers"));
                ApplyOp(cb, c => c.CreateToken = Token("acc-2", "writers"));
                break;
            case "revoked-token":
                ApplyOp(ca, c => c.RevokeToken = new RevokeTokenOp { Accessor = "acc-1" });
                ApplyOp(cb, c => c.PutPolicy = Policy("readers", "read")); // rewrites an equal record
                break;
            case "data-key":
                ApplyOp(ca, c => c.AddDataKey = new AddDataKeyOp { KeyId = ByteString.CopyFrom(new byte[Core.Crypto.SecretEnvelope.KeyIdSize]), WrappedKey = ByteString.CopyFromUtf8("wrapped-2") });
                ApplyOp(cb, c => c.AddDataKey = new AddDataKeyOp { KeyId = ByteString.CopyFrom(new byte[Core.Crypto.SecretEnvelope.KeyIdSize]), WrappedKey = ByteString.CopyFromUtf8("wrapped-3") });
                break;
            case "environment":
                ApplyOp(ca, c => c.SetEnvironment = new SetEnvironmentOp { Namespace = "default", Environment = "qa", Inherits = "default" });
                ApplyOp(cb, c => c.SetEnvironment = new SetEnvironmentOp { Namespace = "default", Environment = "qa", Inherits = "staging" });
                break;
            case "retention":
                ApplyOp(ca, c => c.SetRetention = new SetRetentionOp { Namespace = "team-c", MaxVersions = 5 });
                ApplyOp(cb, c => c.SetRetention = new SetRetentionOp { Namespace = "team-c", MaxVersions = 6 });
                break;
            case "audit-checkpoint":
                ApplyOp(ca, c => c.AuditCheckpoint = new AuditCheckpointOp { NodeId = "n2", LineCount = 3, ChainMac = new string('a', 64) });
                ApplyOp(cb, c => c.AuditCheckpoint = new AuditCheckpointOp { NodeId = "n2", LineCount = 3, ChainMac = new string('b', 64) });
                break;
            case "kv-mount":
                ApplyOp(ca, c => c.KvMount = new KvMountOp { Name = "team", Mode = KvMountMode.Tune, MaxVersions = 4 });
                ApplyOp(cb, c => c.KvMount = new KvMountOp { Name = "team", Mode = KvMountMode.Tune, MaxVersions = 5 });
                break;
            case "kv-metadata":
                ApplyOp(ca, c => c.KvMetadata = new KvMetadataOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), HasCasRequired = true, CasRequired = true });
                ApplyOp(cb, c => c.KvMetadata = new KvMetadataOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), HasCasRequired = true, CasRequired = false });
                break;
            case "kv-version":
                ApplyOp(ca, c => c.KvVersions = new KvVersionsOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), Action = KvVersionAction.Destroy, Versions = { 2 } });
                ApplyOp(cb, c => c.KvVersions = new KvVersionsOp { Key = StoreCommands.Path("secret/app/db").ToStoreKey(), Action = KvVersionAction.Delete, Versions = { 2 } });
                break;
            default:
                ApplyOp(ca, c => c.Put = new PutOp { Key = StoreCommands.Path("with-id-2").ToStoreKey(), Value = ByteString.CopyFromUtf8("1") }, requestId: "req-2");
                ApplyOp(cb, c => c.Put = new PutOp { Key = StoreCommands.Path("with-id-2").ToStoreKey(), Value = ByteString.CopyFromUtf8("1") }, requestId: "req-3");
                break;
        }

        Assert.Equal(a.Revision, b.Revision);
        Assert.Equal(StoreCommands.Text(a.Get(StoreCommands.Path("db.host"))!), StoreCommands.Text(b.Get(StoreCommands.Path("db.host"))!));
        Assert.NotEqual(a.ComputeDigest(), b.ComputeDigest());
    }

    [Fact]
    public async Task ComputeDigest_EveryTableSameCommands_AreEqual_AndCheckpointAndReopenKeepIt()
    {
        var a = Open("a");
        var b = Open("b");
        ApplyEveryTable(new StoreCommands(a));
        ApplyEveryTable(new StoreCommands(b));
        var digest = a.ComputeDigest();

        Assert.Equal(digest, b.ComputeDigest());

        // A reopen rebuilds every table from a scan of the checkpointed log, not from the apply path.
        await b.CheckpointAsync(Deadline);
        b = Reopen(b, "b");
        Assert.Equal(b.AppliedIndex, a.AppliedIndex);
        Assert.Equal(digest, b.ComputeDigest());
    }

    [Fact]
    public async Task ComputeDigest_SnapshotInstalledIntoAnotherStore_IsEqual()
    {
        var source = Open("source");
        var commands = new StoreCommands(source);
        ApplyEveryTable(commands);
        var checkpoint = await source.CheckpointAsync(Deadline);
        var digest = source.ComputeDigest();
        ApplyOp(commands, c => c.PutPolicy = Policy("after-checkpoint", "read")); // not in the snapshot

        var target = Open("target");
        await target.InstallSnapshotAsync(WriteSnapshotFile(source, checkpoint), Deadline);

        Assert.Equal(digest, target.ComputeDigest());
        Assert.NotEqual(digest, source.ComputeDigest());
        target = Reopen(target, "target");
        Assert.Equal(digest, target.ComputeDigest());
    }

    [Fact]
    public void ComputeDigest_ExpiredRequestIds_MatchAStoreThatNeverHadThem()
    {
        var a = Open("a");
        var b = Open("b");
        var ca = new StoreCommands(a);
        var cb = new StoreCommands(b);
        var start = StoreCommands.TimeAt(1).ToUnixTimeMilliseconds();
        ca.Apply(PutWithId("req-old", "k", "1", start));
        cb.Apply(PutWithId("", "k", "1", start));
        var late = start + WindowMs + 1;

        // The later entry makes store "a" forget req-old; its digest then matches "b"'s.
        ca.Apply(PutWithId("", "k", "2", late));
        cb.Apply(PutWithId("", "k", "2", late));

        Assert.Equal(0, ((FasterVersionedStore)a).RememberedRequestCount);
        Assert.Equal(a.ComputeDigest(), b.ComputeDigest());
    }
}
