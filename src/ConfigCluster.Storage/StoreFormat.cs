namespace ConfigCluster.Storage;

/// <summary>
/// The on-disk formats this build reads and writes. The store's meta record names its record
/// format, and a snapshot's magic names the snapshot format; a newer one than this build knows is
/// refused with a clear error (upgrade the node) rather than misread.
/// </summary>
public static class StoreFormat
{
    /// <summary>The record format this build writes and the newest it reads.</summary>
    public const uint Records = 1;

    /// <summary>The snapshot format this build writes and the newest it reads (the digits of the snapshot's magic).</summary>
    public const int Snapshots = 1;

    /// <summary>Throws when a store's meta record names a newer record format than <see cref="Records"/>.</summary>
    /// <exception cref="InvalidDataException">The store was written by a newer build.</exception>
    public static void CheckRecords(uint recordFormat)
    {
        if (recordFormat > Records)
            throw new InvalidDataException($"the store was written by a newer build (record format {recordFormat}; this build reads up to {Records}): upgrade this node, or restore it from a backup");
    }
}
