using System.Collections.Concurrent;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

internal sealed partial class HotMetadata
{
    private readonly ConcurrentDictionary<string, StoredDatabaseConfig> databaseConfigs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredDatabaseRole> databaseRoles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredLease> leases = new(StringComparer.Ordinal);

    /// <summary>A database connection by name, or null.</summary>
    public StoredDatabaseConfig? FindDatabaseConfig(string name) => databaseConfigs.GetValueOrDefault(name);

    /// <summary>A database role by name, or null.</summary>
    public StoredDatabaseRole? FindDatabaseRole(string name) => databaseRoles.GetValueOrDefault(name);

    /// <summary>A lease by id, or null.</summary>
    public StoredLease? FindLease(string leaseId) => leases.GetValueOrDefault(leaseId);

    /// <summary>Every database connection's name, in ordinal order.</summary>
    public IReadOnlyList<string> DatabaseConfigNames() => Sorted(databaseConfigs.Keys);

    /// <summary>Every database role's name, in ordinal order.</summary>
    public IReadOnlyList<string> DatabaseRoleNames() => Sorted(databaseRoles.Keys);

    /// <summary>Every lease, in lease id order.</summary>
    public IReadOnlyList<StoredLease> Leases()
    {
        var list = leases.Values.ToList();
        list.Sort(static (x, y) => string.CompareOrdinal(x.LeaseId, y.LeaseId));
        return list;
    }

    private static List<string> Sorted(IEnumerable<string> names)
    {
        var list = names.ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    // An empty record is a removed one.
    private void ObserveDatabase(byte tag, string name, ReadOnlySpan<byte> value)
    {
        switch (tag)
        {
            case RecordKeys.DatabaseConfigTag when value.IsEmpty:
                databaseConfigs.TryRemove(name, out _);
                break;
            case RecordKeys.DatabaseConfigTag:
                databaseConfigs[name] = StoredDatabaseConfig.From(DatabaseConfigRecord.Parser.ParseFrom(value));
                break;
            case RecordKeys.DatabaseRoleTag when value.IsEmpty:
                databaseRoles.TryRemove(name, out _);
                break;
            case RecordKeys.DatabaseRoleTag:
                databaseRoles[name] = StoredDatabaseRole.From(DatabaseRoleRecord.Parser.ParseFrom(value));
                break;
            case RecordKeys.LeaseTag when value.IsEmpty:
                leases.TryRemove(name, out _);
                break;
            case RecordKeys.LeaseTag:
                leases[name] = StoredLease.From(LeaseRecord.Parser.ParseFrom(value));
                break;
            case RecordKeys.StaticRoleTag:
                ObserveStaticRole(name, value);
                break;
        }
    }
}
