namespace ConfigCluster.Consensus;

/// <summary>
/// The size of the WAL's chunk files. DotNext 6.12 defaults to one memory page (4 KiB), so a
/// batch entry of 256 commands spans some twenty chunk files, each created and memory-mapped:
/// a long run at 256 clients mapped more than <c>vm.max_map_count</c> (65,530) of them and the
/// node died with "Out of memory". Larger chunks are not free either: a flush syncs the whole
/// chunk being written, and at 1 client p50 latency grew with the chunk size (about 3 ms at
/// 64 KiB against 6 ms at 4 KiB, 12 ms at 1 MiB and 15 ms at 8 MiB, measured on a loaded
/// two-core machine with <c>/work/notes/load.sh 1 10</c>-style runs, so read them as a trend).
/// <see cref="Default"/> keeps a batch entry within two chunks and the maps of a log holding
/// two snapshot intervals well under the limit.
/// </summary>
/// <remarks>
/// DotNext cannot change the chunk size of an existing log, so a log written with another size
/// (an earlier version's) keeps the size of its chunk files.
/// </remarks>
internal static class WalChunkSize
{
    /// <summary>The chunk size of a new log.</summary>
    public const int Default = 64 << 10;

    /// <summary>The chunk size for the log at <paramref name="walDirectory"/>.</summary>
    public static int For(string walDirectory)
    {
        var data = Path.Combine(walDirectory, "data");
        if (!Directory.Exists(data))
            return Default;
        foreach (var chunk in Directory.EnumerateFiles(data))
        {
            var length = new FileInfo(chunk).Length;
            if (length >= 4096 && length <= int.MaxValue && long.IsPow2(length))
                return (int)length;
        }

        return Default;
    }
}
