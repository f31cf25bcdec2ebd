using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    /// <summary>The only database plugin the engine drives.</summary>
    public const string PostgresPlugin = "postgresql-database-plugin";

    /// <summary>Longest database connection or role name accepted.</summary>
    public const int MaxDatabaseNameLength = 128;

    /// <summary>Most statements in a role's creation or revocation list.</summary>
    public const int MaxDatabaseStatements = 64;

    /// <summary>Longest single statement (bytes of UTF-8 text counted as characters).</summary>
    public const int MaxDatabaseStatementLength = 16 * 1024;

    /// <summary>A role's lease lifetime when it sets none (Vault's role default is the system's).</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromHours(1);

    /// <summary>The longest a lease may live, renewals included, when its role sets no max_ttl.</summary>
    public static readonly TimeSpan DefaultLeaseMaxTtl = TimeSpan.FromHours(24);

    /// <inheritdoc/>
    public StoredDatabaseConfig? FindDatabaseConfig(string name) => Volatile.Read(ref current).Metadata.FindDatabaseConfig(name);

    /// <inheritdoc/>
    public IReadOnlyList<string> DatabaseConfigNames() => Volatile.Read(ref current).Metadata.DatabaseConfigNames();

    /// <inheritdoc/>
    public StoredDatabaseRole? FindDatabaseRole(string name) => Volatile.Read(ref current).Metadata.FindDatabaseRole(name);

    /// <inheritdoc/>
    public IReadOnlyList<string> DatabaseRoleNames() => Volatile.Read(ref current).Metadata.DatabaseRoleNames();

    /// <summary>Whether a database connection or role name is acceptable: 1–128 of <c>A-Z a-z 0-9 _ - .</c>.</summary>
    public static bool IsValidDatabaseName(string? name) => IsValidTransitKeyName(name) && name!.Length <= MaxDatabaseNameLength;

    private CommandResult ApplyDatabaseConfig(Command command, DatabaseConfigOp config)
    {
        if (!IsValidDatabaseName(config.Name) || config.PluginName != PostgresPlugin || config.ConnectionUrl.Length is 0 or > 4096
            || config.Username.Length > 256 || config.AllowedRoles.Any(static r => r != "*" && !IsValidDatabaseName(r)))
            return Invalid("database config command is malformed");
        var record = new DatabaseConfigRecord
        {
            Name = config.Name,
            PluginName = config.PluginName,
            ConnectionUrl = config.ConnectionUrl,
            Username = config.Username,
            SealedPassword = config.SealedPassword,
            UpdatedUnixMs = command.TimestampUnixMs,
        };
        record.AllowedRoles.AddRange(config.AllowedRoles);
        KeepRootRotation(record);
        UpsertMetadata(RecordKeys.DatabaseConfig(config.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyDatabaseRole(DatabaseRoleOp role)
    {
        if (!IsValidDatabaseName(role.Name) || !IsValidDatabaseName(role.DbName))
            return Invalid("database role command is malformed");
        if (role.CreationStatements.Count is 0 or > MaxDatabaseStatements || role.RevocationStatements.Count > MaxDatabaseStatements
            || role.CreationStatements.Concat(role.RevocationStatements).Any(static s => s.Length is 0 or > MaxDatabaseStatementLength))
            return Invalid($"a role needs 1 to {MaxDatabaseStatements} creation statements (and at most {MaxDatabaseStatements} revocation statements), each 1 to {MaxDatabaseStatementLength} characters");
        if (role.DefaultTtlMs < 0 || role.MaxTtlMs < 0 || (role.MaxTtlMs > 0 && role.DefaultTtlMs > role.MaxTtlMs))
            return Invalid("default_ttl must not be negative or exceed max_ttl");
        var record = new DatabaseRoleRecord { Name = role.Name, DbName = role.DbName, DefaultTtlMs = role.DefaultTtlMs, MaxTtlMs = role.MaxTtlMs };
        record.CreationStatements.AddRange(role.CreationStatements);
        record.RevocationStatements.AddRange(role.RevocationStatements);
        UpsertMetadata(RecordKeys.DatabaseRole(role.Name), record.ToByteArray());
        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }

    private CommandResult ApplyDatabaseDelete(DatabaseDeleteOp delete)
    {
        var metadata = current.Metadata;
        switch (delete.Kind)
        {
            case DatabaseObjectKind.Config when metadata.FindDatabaseConfig(delete.Name) is not null:
                UpsertMetadata(RecordKeys.DatabaseConfig(delete.Name), []);
                break;
            case DatabaseObjectKind.Role when metadata.FindDatabaseRole(delete.Name) is not null:
                UpsertMetadata(RecordKeys.DatabaseRole(delete.Name), []);
                break;
            case DatabaseObjectKind.Config or DatabaseObjectKind.Role:
                return NotFound($"no database {(delete.Kind == DatabaseObjectKind.Config ? "connection" : "role")} named '{delete.Name}'");
            default:
                return Invalid("database delete command names nothing");
        }

        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision };
    }
}
