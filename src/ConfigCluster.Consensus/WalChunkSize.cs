namespace ConfigCluster.Consensus;

/// <summary>
/// The size of the WAL's chunk files. DotNext 6.12 defaults to one memory page (4 KiB), so a
/// busy log creates, maps and later deletes a file every few entries: 27,000 writes left 2,200
/// mapped chunk files per node, and a long run at 256 clients exhausted the process's memory
/// maps (<c>vm.max_map_count</c>, 65,530): the runtime failed with "Out of memory". A chunk of
/// <see cref="Default"/> holds thousands of entries.
/// </summary>
/// <remarks>
/// DotNext cannot change the chunk size of an existing log, so a log written with another size
/// (an earlier version's) keeps the size of its chunk files.
/// </remarks>
internal static class WalChunkSize
{
    /// <summary>The chunk size of a new log.</summary>
    public const int Default = 8 << 20;

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
