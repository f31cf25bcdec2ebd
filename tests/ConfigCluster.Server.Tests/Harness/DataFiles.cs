namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// The files a running node keeps under its data directory, read for a leak scan. A node replaces
/// files while the scan runs (checkpoints, snapshots, rotated audit segments): a file that is gone
/// by the time it is read is skipped, since what it held was written again to its successor, which
/// the scan finds (or a later scan does).
/// </summary>
internal static class DataFiles
{
    /// <summary>Every file under <paramref name="directory"/> still there when it is read, with its bytes.</summary>
    public static async IAsyncEnumerable<(string Path, byte[] Bytes)> ReadAllAsync(string directory)
    {
        foreach (var file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                continue;
            }

            yield return (file, bytes);
        }
    }

    /// <summary>Whether any file under <paramref name="directory"/> holds <paramref name="needle"/>, and the first that does.</summary>
    public static async Task<string?> FirstHoldingAsync(string directory, byte[] needle)
    {
        await foreach (var (file, bytes) in ReadAllAsync(directory))
        {
            if (bytes.AsSpan().IndexOf(needle) >= 0)
                return file;
        }

        return null;
    }
}
