namespace ConfigCluster.Storage;

/// <summary>Settings of the FASTER-backed store.</summary>
public sealed class StoreOptions
{
    /// <summary>Directory holding the FASTER log and checkpoints. Required.</summary>
    public string Directory { get; set; } = "";

    /// <summary>
    /// Size of the FASTER hash index in bytes (power of two); 0 (the default) sizes it to the
    /// memory budget: an eighth of <see cref="LogMemoryBytes"/>, between 1 MiB and 256 MiB.
    /// </summary>
    public long IndexSizeBytes { get; set; }

    /// <summary>
    /// The memory budget of FASTER's in-memory log in bytes (rounded down to a power of two);
    /// records beyond it live on disk and are read from there. At least two pages (16 MiB with
    /// the default value limit). Default: <see cref="DefaultLogMemoryBytes"/>.
    /// </summary>
    public long LogMemoryBytes { get; set; } = DefaultLogMemoryBytes();

    /// <summary>
    /// FASTER log page size in bytes; 0 (the default) takes the smallest power of two that holds
    /// <see cref="MaxStoredValueBytes"/> plus <see cref="RecordOverheadBytes"/> (8 MiB).
    /// </summary>
    public long PageSizeBytes { get; set; }

    /// <summary>
    /// Largest value a version may hold as stored (a secret's envelope included). Default 4 MiB
    /// plus 4 KiB of room for the envelope. A write over it is refused at apply time, before
    /// anything is written, so it must be the same on every node (it is not a node option).
    /// </summary>
    public int MaxStoredValueBytes { get; set; } = (4 << 20) + 4096;

    /// <summary>Room kept on a page beyond the value for the record's key and metadata.</summary>
    public const int RecordOverheadBytes = 16 << 10;

    /// <summary>FASTER log file segment size in bytes. Default 256 MiB.</summary>
    public long SegmentSizeBytes { get; set; } = 1L << 28;

    /// <summary>
    /// A compaction pass of the FASTER log (drops superseded records, removed versions, emptied
    /// change records and forgotten request ids) starts at a checkpoint once the log spans at
    /// least this many bytes and twice what it spanned after the last pass. The disk space comes
    /// back in whole segments (<see cref="SegmentSizeBytes"/>), so the default is one segment
    /// (256 MiB; the node's <c>--compact-threshold</c>). 0 turns compaction off.
    /// </summary>
    public long CompactionMinBytes { get; set; } = DefaultCompactionMinBytes;

    /// <summary>The default of <see cref="CompactionMinBytes"/>: 256 MiB.</summary>
    public const long DefaultCompactionMinBytes = 1L << 28;

    /// <summary>
    /// How much of the log one checkpoint compacts (rounded to whole pages, at least one page): a
    /// pass goes on over the following checkpoints until it reaches the tail it started from, so
    /// apply waits for one slice at a time, never for a whole pass. Default 32 MiB; 0 compacts a
    /// whole pass at one checkpoint.
    /// </summary>
    public long CompactionSliceBytes { get; set; } = 32L << 20;

    /// <summary>
    /// The budget sized for the machine: 1/16 of the memory available to the process (the
    /// container limit when there is one), between 64 MiB and 1 GiB. A config store's working
    /// set is small (hot metadata lives outside FASTER; recent versions are what clients read),
    /// so a sixteenth leaves the rest to the runtime, the Raft log and other processes, and the
    /// 64 MiB floor keeps a few pages of recent writes in memory even on a tiny box.
    /// </summary>
    public static long DefaultLogMemoryBytes()
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return Math.Clamp(available / 16, 64L << 20, 1L << 30);
    }
}
