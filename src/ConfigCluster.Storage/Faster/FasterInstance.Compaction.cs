using FASTER.core;

namespace ConfigCluster.Storage.Faster;

internal sealed partial class FasterInstance
{
    /// <summary>The lowest valid address of the log: everything below it was compacted away.</summary>
    public long BeginAddress => store.Log.BeginAddress;

    /// <summary>The end of the log's immutable region, the furthest a compaction may reach.</summary>
    public long SafeReadOnlyAddress => store.Log.SafeReadOnlyAddress;

    /// <summary>Bytes of one log page.</summary>
    public long PageBytes => settings.PageSize;

    /// <summary>
    /// Compacts the log up to <paramref name="untilAddress"/> (at most the safe read-only address):
    /// FASTER copies each record that is still the newest for its key, and that
    /// <paramref name="removed"/> does not call deleted, to the tail, then moves the begin address
    /// up. The space is given back to the file system by the next checkpoint (whole segments).
    /// Only the single writer calls this: it uses the writer's session and waits for the reads it
    /// issues synchronously, as every write-side FASTER call here does.
    /// </summary>
    /// <returns>The new begin address.</returns>
    public long Compact(long untilAddress, RemovedRecords removed)
    {
        // Only the immutable region can be compacted; after a recovery it may start far below
        // the tail. Making the log immutable up to the requested address first (as a fold-over
        // checkpoint does) lets one compaction cover all of it.
        if (SafeReadOnlyAddress < untilAddress)
            store.Log.ShiftReadOnlyAddress(Math.Min(untilAddress, TailAddress), wait: true);
        return writer.Compact(Math.Min(untilAddress, SafeReadOnlyAddress), CompactionType.Lookup, removed);
    }

    /// <summary>
    /// Leaves <paramref name="pages"/> pages of the in-memory log empty, so that memory held
    /// elsewhere (the key index) is counted against the same budget. At least two pages stay in use.
    /// </summary>
    /// <returns>The number of pages now left empty.</returns>
    public int LeaveEmptyPages(int pages)
    {
        var allowed = Math.Clamp(pages, 0, Math.Max(0, store.Log.BufferSize - 2));
        if (allowed != store.Log.EmptyPageCount)
            store.Log.SetEmptyPageCount(allowed, wait: true);
        return allowed;
    }

    /// <summary>Pages of the in-memory log now left empty.</summary>
    public int EmptyPages => store.Log.EmptyPageCount;
}

/// <summary>
/// Which records a compaction drops although they are the newest for their key: the empty
/// records that stand for a removed version, a forgotten request id or a change record at or
/// below the compacted revision. Each is read as absent whether the empty record is there or not,
/// and none enters the replica digest, so a node that compacted and one that did not still agree. Empty metadata records are kept: some of
/// them mean something (a deleted policy's record still exists).
/// </summary>
internal readonly struct RemovedRecords : ICompactionFunctions<SpanByte, SpanByte>
{
    public bool IsDeleted(ref SpanByte key, ref SpanByte value)
        => value.Length == 0 && key.Length > 0 && key.AsReadOnlySpan()[0] is Records.RecordKeys.VersionTag or Records.RecordKeys.RequestTag or Records.RecordKeys.ChangeTag;
}
