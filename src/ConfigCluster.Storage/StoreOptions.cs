namespace ConfigCluster.Storage;

/// <summary>Settings of the FASTER-backed store. Defaults suit a config store of up to ~1M versions.</summary>
public sealed class StoreOptions
{
    /// <summary>Directory holding the FASTER log and checkpoints. Required.</summary>
    public string Directory { get; set; } = "";

    /// <summary>Size of the FASTER hash index in bytes (power of two). Default 8 MiB.</summary>
    public long IndexSizeBytes { get; set; } = 1L << 23;

    /// <summary>Memory for the in-memory part of the FASTER log in bytes. Default 64 MiB.</summary>
    public long LogMemoryBytes { get; set; } = 1L << 26;

    /// <summary>
    /// FASTER log page size in bytes. Default 8 MiB. One record must fit on a page, so this must
    /// exceed <see cref="MaxStoredValueBytes"/> by <see cref="RecordOverheadBytes"/>.
    /// </summary>
    public long PageSizeBytes { get; set; } = 8L << 20;

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
}
