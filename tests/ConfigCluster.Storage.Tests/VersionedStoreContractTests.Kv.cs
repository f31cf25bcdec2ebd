using System.Security.Cryptography;
using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// Vault KV v2 state: soft delete, undelete and destroy of versions, per-key metadata, mounts and
// token renewal, applied deterministically (times come from the command) and kept across a reopen.
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult Kv(StoreCommands commands, KvVersionAction action, params long[] versions)
    {
        var command = commands.NewCommand();
        command.KvVersions = new KvVersionsOp { Key = StoreCommands.Path("secret/kv").ToStoreKey(), Action = action, Versions = { versions } };
        return commands.Apply(command);
    }

    [Fact]
    public async Task KvVersions_DeleteUndeleteDestroy_ChangeOnlyThoseVersions_AndSurviveReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("secret/kv", "{\"v\":1}");
        commands.Put("secret/kv", "{\"v\":2}");
        commands.Put("secret/kv", "{\"v\":3}");
        var revision = store.Revision;

        Assert.Equal(ResultCode.ResultOk, Kv(commands, KvVersionAction.Delete, 2, 3, 99).Code);
        var deletedAt = StoreCommands.TimeAt(commands.LastIndex);
        Assert.Equal(deletedAt, store.Get(StoreCommands.Path("secret/kv"), 2)!.DeletedAt);
        Assert.Equal(ResultCode.ResultOk, Kv(commands, KvVersionAction.Undelete, 3).Code);
        Assert.Null(store.Get(StoreCommands.Path("secret/kv"), 3)!.DeletedAt);
        Assert.Equal(ResultCode.ResultOk, Kv(commands, KvVersionAction.Destroy, 1).Code);
        Assert.Equal(ResultCode.ResultOk, Kv(commands, KvVersionAction.Undelete, 1).Code);
        Assert.Equal(revision, store.Revision); // soft delete, undelete and destroy add no version

        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        var v1 = store.Get(StoreCommands.Path("secret/kv"), 1)!;
        Assert.True(v1.Destroyed);
        Assert.True(v1.Value.IsEmpty);
        Assert.Equal(deletedAt, store.Get(StoreCommands.Path("secret/kv"), 2)!.DeletedAt);
        Assert.Equal("{\"v\":3}", StoreCommands.Text(store.Get(StoreCommands.Path("secret/kv"))!));
    }

    [Fact]
    public void KvVersions_DestroyAll_DestroysEveryVersion_DeletesTheKeyAndItsMetadata()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        commands.Put("secret/kv", "{\"v\":1}");
        commands.Put("secret/kv", "{\"v\":2}");
        var metadata = commands.NewCommand();
        metadata.KvMetadata = new KvMetadataOp { Key = StoreCommands.Path("secret/kv").ToStoreKey(), HasCustomMetadata = true, CustomMetadata = { ["owner"] = "a" } };
        Assert.Equal(ResultCode.ResultOk, commands.Apply(metadata).Code);
        Assert.Equal("a", store.FindKvKey(StoreCommands.Path("secret/kv"))!.CustomMetadata["owner"]);

        var result = Kv(commands, KvVersionAction.DestroyAll);
        Assert.Equal(ResultCode.ResultOk, result.Code);
        Assert.Equal(3, result.Version);
        Assert.True(store.Get(StoreCommands.Path("secret/kv"))!.IsDeletion);
        Assert.All(new long[] { 1, 2 }, v => Assert.True(store.Get(StoreCommands.Path("secret/kv"), v)!.Destroyed));
        Assert.Null(store.FindKvKey(StoreCommands.Path("secret/kv")));
        Assert.Equal(ResultCode.ResultNotFound, Kv(commands, KvVersionAction.Delete, 1).Code);
    }

    [Fact]
    public void KvMount_CreateTwiceOrRemoveMissing_IsRefused()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        CommandResult Mount(string name, KvMountMode mode)
        {
            var command = commands.NewCommand();
            command.KvMount = new KvMountOp { Name = name, Mode = mode, MaxVersions = 4 };
            return commands.Apply(command);
        }

        Assert.Equal(ResultCode.ResultOk, Mount("team", KvMountMode.Create).Code);
        Assert.Equal(ResultCode.ResultInvalid, Mount("team", KvMountMode.Create).Code);
        Assert.Equal(ResultCode.ResultInvalid, Mount("bad/name", KvMountMode.Create).Code);
        Assert.Equal(4, store.KvMounts()["team"].MaxVersions);
        Assert.Equal(ResultCode.ResultOk, Mount("team", KvMountMode.Remove).Code);
        Assert.Equal(ResultCode.ResultNotFound, Mount("team", KvMountMode.Remove).Code);
        Assert.Empty(store.KvMounts());
    }

    [Fact]
    public void RenewToken_JudgedAtTheCommandsTime_RefusesExpiredAndNotRenewable()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        CommandResult Create(string accessor, bool renewable, long expires)
        {
            var command = commands.NewCommand();
            command.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(accessor))), Accessor = accessor, Name = accessor, Renewable = renewable, TtlMs = 60_000, ExpiresUnixMs = expires };
            return commands.Apply(command);
        }

        CommandResult Renew(string accessor, long expires)
        {
            var command = commands.NewCommand();
            command.RenewToken = new RenewTokenOp { Accessor = accessor, ExpiresUnixMs = expires };
            return commands.Apply(command);
        }

        var now = StoreCommands.TimeAt(commands.LastIndex + 1).ToUnixTimeMilliseconds();
        Assert.Equal(ResultCode.ResultOk, Create("renewable", true, now + 60_000).Code);
        Assert.Equal(ResultCode.ResultOk, Create("fixed", false, now + 60_000).Code);
        Assert.Equal(ResultCode.ResultOk, Create("short", true, now + 1_500).Code); // expires before the renewal's timestamp
        var later = StoreCommands.TimeAt(commands.LastIndex + 1).ToUnixTimeMilliseconds() + 3_600_000;
        Assert.Equal(ResultCode.ResultOk, Renew("renewable", later).Code);
        Assert.Equal(ResultCode.ResultInvalid, Renew("fixed", later).Code);
        Assert.Equal(ResultCode.ResultInvalid, Renew("short", later).Code);
        Assert.Equal(ResultCode.ResultNotFound, Renew("missing", later).Code);
        var renewed = store.Tokens().Single(static t => t.Accessor == "renewable");
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(later), renewed.ExpiresAt);
        Assert.True(renewed.Renewable);
        Assert.Equal(TimeSpan.FromMinutes(1), renewed.Ttl);
    }
}
