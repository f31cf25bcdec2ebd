namespace ConfigCluster.Storage.Faster;

/// <summary>
/// FASTER's sizes derived from the memory budget. A record cannot span pages, so a page must
/// hold the largest stored value plus its key and metadata; FASTER's in-memory log must hold
/// at least two pages (the one being appended to and the one being flushed). The page is the
/// smallest power of two that fits the largest value, and the budget must hold two of them.
/// The hash index takes an eighth of the budget on top of it (a power of two between 1 MiB and
/// 256 MiB): 64-byte buckets of 7 entries, so a 64 MiB budget indexes ~900k records before
/// FASTER chains overflow buckets.
/// </summary>
internal readonly record struct StoreSizing(long MemoryBytes, long PageBytes, long IndexBytes)
{
    private const long MinIndexBytes = 1L << 20;
    private const long MaxIndexBytes = 1L << 28;

    /// <summary>Sizes for <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The budget cannot hold two pages that fit the largest value.</exception>
    public static StoreSizing For(StoreOptions options)
    {
        if (options.MaxStoredValueBytes <= 0)
            throw new ArgumentException("StoreOptions.MaxStoredValueBytes must be positive", nameof(options));
        var page = options.PageSizeBytes > 0 ? options.PageSizeBytes : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)options.MaxStoredValueBytes + StoreOptions.RecordOverheadBytes);
        if (page < (long)options.MaxStoredValueBytes + StoreOptions.RecordOverheadBytes)
        {
            throw new ArgumentException(
                $"StoreOptions: a page of {page} bytes cannot hold a value of up to {options.MaxStoredValueBytes} bytes; "
                + $"the page must be at least {StoreOptions.RecordOverheadBytes} bytes larger than the value limit", nameof(options));
        }

        var memory = FloorPowerOfTwo(options.LogMemoryBytes);
        if (memory < 2 * page)
        {
            throw new ArgumentException(
                $"store memory {Mebibytes(options.LogMemoryBytes)} is too small: FASTER keeps at least two log pages in memory and a page must hold "
                + $"the largest value ({Mebibytes(options.MaxStoredValueBytes)}), so the store needs at least {Mebibytes(2 * page)}", nameof(options));
        }

        var index = options.IndexSizeBytes > 0 ? options.IndexSizeBytes : Math.Clamp(FloorPowerOfTwo(memory / 8), MinIndexBytes, MaxIndexBytes);
        return new StoreSizing(memory, page, index);
    }

    /// <summary>The smallest budget the default value limit allows.</summary>
    public static long MinimumMemoryBytes(StoreOptions options)
        => 2 * (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)options.MaxStoredValueBytes + StoreOptions.RecordOverheadBytes);

    private static long FloorPowerOfTwo(long value) => value <= 0 ? 0 : 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)value));

    private static string Mebibytes(long bytes) => $"{bytes / (1024.0 * 1024):0.#} MiB";
}
