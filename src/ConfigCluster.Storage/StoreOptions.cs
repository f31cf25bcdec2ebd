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

    /// <summary>FASTER log page size in bytes. Default 1 MiB.</summary>
    public long PageSizeBytes { get; set; } = 1L << 20;

    /// <summary>FASTER log file segment size in bytes. Default 256 MiB.</summary>
    public long SegmentSizeBytes { get; set; } = 1L << 28;
}
