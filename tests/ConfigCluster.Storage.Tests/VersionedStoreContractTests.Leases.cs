using ConfigCluster.Core.Commands;
using Google.Protobuf;

namespace ConfigCluster.Storage.Tests;

// The database engine's replicated state: connections, roles and leases, whose
// expiry is judged by the commands' timestamps only (StoreCommands stamps index i at epoch + i s).
public abstract partial class VersionedStoreContractTests
{
    private static CommandResult Db(StoreCommands commands, Action<Command> set)
    {
        var command = commands.NewCommand();
        set(command);
        return commands.Apply(command);
    }

    private static void ConfigureDatabase(StoreCommands commands, params string[] allowedRoles)
    {
        var config = new DatabaseConfigOp { Name = "pg", PluginName = "postgresql-database-plugin", ConnectionUrl = "postgresql://{{username}}:{{password}}@db/postgres", Username = "admin", SealedPassword = ByteString.CopyFromUtf8("sealed") };
        config.AllowedRoles.AddRange(allowedRoles);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.DatabaseConfig = config).Code);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.DatabaseRole = new DatabaseRoleOp
        {
            Name = "reader", DbName = "pg", DefaultTtlMs = 3000, MaxTtlMs = 5000, CreationStatements = { "CREATE ROLE \"{{name}}\";" }, RevocationStatements = { "DROP ROLE \"{{name}}\";" },
        }).Code);
    }

    [Fact]
    public async Task Lease_ExpiryByLogTimestamp_RenewCappedAtMaxTtl_TwoStepRevoke_SurvivesReopen()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        ConfigureDatabase(commands, "*");
        var created = Db(commands, c => c.LeaseCreate = new LeaseCreateOp { LeaseId = "database/creds/reader/a", Role = "reader", Username = "v-a" });
        Assert.Equal(ResultCode.ResultOk, created.Code);
        var issuedAt = StoreCommands.TimeAt(commands.LastIndex);
        Assert.Equal(issuedAt.AddSeconds(3).ToUnixTimeMilliseconds(), created.Version);

        // Not yet expired by the log's clock: an expiry revocation is refused and changes nothing.
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.LeaseRevoke = new LeaseRevokeOp { LeaseId = "database/creds/reader/a", Expired = true }).Code);
        Assert.False(store.FindLease("database/creds/reader/a")!.Revoking);
        // Renewal by 10 s stops at issue + max_ttl (5 s).
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.LeaseRenew = new LeaseRenewOp { LeaseId = "database/creds/reader/a", IncrementMs = 10_000 }).Code);
        Assert.Equal(issuedAt.AddSeconds(5), store.FindLease("database/creds/reader/a")!.ExpiresAt);

        await store.CheckpointAsync(Deadline);
        store = Reopen(store);
        commands = new StoreCommands(store);
        var lease = store.FindLease("database/creds/reader/a")!;
        Assert.Equal(("reader", "pg", "v-a"), (lease.Role, lease.DbName, lease.Username));
        Assert.Equal(["DROP ROLE \"{{name}}\";"], lease.RevocationStatements);
        while (StoreCommands.TimeAt(commands.LastIndex + 1) < lease.ExpiresAt)
            Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.LeaseRevoke = new LeaseRevokeOp { LeaseId = lease.LeaseId, Expired = true }).Code);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.LeaseRevoke = new LeaseRevokeOp { LeaseId = lease.LeaseId, Expired = true }).Code);
        Assert.True(store.FindLease(lease.LeaseId)!.Revoking);
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.LeaseRenew = new LeaseRenewOp { LeaseId = lease.LeaseId }).Code);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.LeaseRevoke = new LeaseRevokeOp { LeaseId = lease.LeaseId, Confirmed = true }).Code);
        Assert.Null(store.FindLease(lease.LeaseId));
        Assert.Empty(store.Leases());
        Assert.Equal(ResultCode.ResultNotFound, Db(commands, c => c.LeaseRevoke = new LeaseRevokeOp { LeaseId = lease.LeaseId, Confirmed = true }).Code);
    }

    [Fact]
    public void Lease_ForUnknownOrDisallowedRole_IsRefused_AndRolesValidate()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        ConfigureDatabase(commands, "someone-else");
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.LeaseCreate = new LeaseCreateOp { LeaseId = "l1", Role = "reader", Username = "v-a" }).Code);
        Assert.Equal(ResultCode.ResultNotFound, Db(commands, c => c.LeaseCreate = new LeaseCreateOp { LeaseId = "l2", Role = "nosuch", Username = "v-b" }).Code);
        Assert.Empty(store.Leases());
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.DatabaseRole = new DatabaseRoleOp { Name = "r", DbName = "pg", DefaultTtlMs = 2000, MaxTtlMs = 1000, CreationStatements = { "x" } }).Code);
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.DatabaseRole = new DatabaseRoleOp { Name = "r", DbName = "pg" }).Code);
        Assert.Null(store.FindDatabaseRole("r"));
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.DatabaseConfig = new DatabaseConfigOp { Name = "x", PluginName = "mysql", ConnectionUrl = "u" }).Code);
        Assert.Equal(["pg"], store.DatabaseConfigNames());
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.DatabaseDelete = new DatabaseDeleteOp { Kind = DatabaseObjectKind.Role, Name = "reader" }).Code);
        Assert.Empty(store.DatabaseRoleNames());
        Assert.Equal(ResultCode.ResultNotFound, Db(commands, c => c.DatabaseDelete = new DatabaseDeleteOp { Kind = DatabaseObjectKind.Role, Name = "reader" }).Code);
    }

    [Fact]
    public void RevokingAToken_MarksTheLeasesItAskedFor_AndOnlyThose()
    {
        var store = Open();
        var commands = new StoreCommands(store);
        ConfigureDatabase(commands, "*");
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.CreateToken = new CreateTokenOp { TokenHash = ByteString.CopyFrom(new byte[32]), Accessor = "acc1", Name = "svc" }).Code);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.LeaseCreate = new LeaseCreateOp { LeaseId = "mine", Role = "reader", Username = "v-m", TokenAccessor = "acc1" }).Code);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.LeaseCreate = new LeaseCreateOp { LeaseId = "other", Role = "reader", Username = "v-o", TokenAccessor = "acc2" }).Code);
        // While the token lives, its end is no reason to revoke.
        Assert.Equal(ResultCode.ResultInvalid, Db(commands, c => c.LeaseRevoke = new LeaseRevokeOp { LeaseId = "mine", OwnerEnded = true }).Code);
        Assert.Equal(ResultCode.ResultOk, Db(commands, c => c.RevokeToken = new RevokeTokenOp { Accessor = "acc1" }).Code);
        Assert.True(store.FindLease("mine")!.Revoking);
        Assert.False(store.FindLease("other")!.Revoking);
        Assert.Equal("acc1", store.FindLease("mine")!.TokenAccessor);
    }
}
