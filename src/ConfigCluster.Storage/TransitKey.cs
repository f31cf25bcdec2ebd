using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

/// <summary>One version of a transit key: when it was made and its material, sealed under the master key.</summary>
public sealed record TransitKeyVersionInfo(long Version, DateTimeOffset CreatedAt, ReadOnlyMemory<byte> WrappedMaterial);

/// <summary>A transit key as replicated: its settings and every version (material still sealed).</summary>
public sealed record TransitKey(
    string Name,
    string Type,
    long LatestVersion,
    long MinDecryptionVersion,
    long MinEncryptionVersion,
    bool DeletionAllowed,
    IReadOnlyList<TransitKeyVersionInfo> Versions)
{
    /// <summary>A version by number, or null.</summary>
    public TransitKeyVersionInfo? Version(long version)
        => version >= 1 && version <= Versions.Count && Versions[(int)version - 1].Version == version ? Versions[(int)version - 1] : Versions.FirstOrDefault(v => v.Version == version);

    internal static TransitKey From(TransitKeyRecord record) => new(
        record.Name,
        record.Type,
        record.LatestVersion,
        record.MinDecryptionVersion,
        record.MinEncryptionVersion,
        record.DeletionAllowed,
        [.. record.Versions.Select(static v => new TransitKeyVersionInfo(v.Version, DateTimeOffset.FromUnixTimeMilliseconds(v.CreatedUnixMs), v.WrappedMaterial.Memory))]);
}
