using System.Collections.Concurrent;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

internal sealed partial class HotMetadata
{
    private readonly ConcurrentDictionary<string, StoredStaticRole> staticRoles = new(StringComparer.Ordinal);

    /// <summary>A static role by name, or null.</summary>
    public StoredStaticRole? FindStaticRole(string name) => staticRoles.GetValueOrDefault(name);

    /// <summary>Every static role, in name order.</summary>
    public IReadOnlyList<StoredStaticRole> StaticRoles()
    {
        var list = staticRoles.Values.ToList();
        list.Sort(static (x, y) => string.CompareOrdinal(x.Name, y.Name));
        return list;
    }

    // An empty record is a removed one.
    private void ObserveStaticRole(string name, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            staticRoles.TryRemove(name, out _);
        else
            staticRoles[name] = StoredStaticRole.From(DatabaseStaticRoleRecord.Parser.ParseFrom(value));
    }
}
