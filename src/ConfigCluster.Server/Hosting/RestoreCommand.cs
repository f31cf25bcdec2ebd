using ConfigCluster.Storage;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// <c>ConfigCluster.Server restore FILE --data-dir DIR</c>: prepares one node's empty data
/// directory from a snapshot written by <c>ccctl snapshot save</c>, offline, with the store
/// itself (so the CLI does not ship FASTER; <c>ccctl snapshot restore</c> runs this).
/// </summary>
internal static class RestoreCommand
{
    /// <summary>Exit codes, the same as ccctl's for the same outcomes.</summary>
    private const int Ok = 0, Usage = 1, Conflict = 3, Failed = 6;

    public static async Task<int> RunAsync(string[] args, CancellationToken token)
    {
        if (!TryParse(args, out var file, out var dataDir))
        {
            Console.Error.WriteLine("usage: ConfigCluster.Server restore FILE --data-dir DIR");
            return Usage;
        }

        var directory = Path.GetFullPath(dataDir);
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"restore: {file} does not exist");
            return Usage;
        }

        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Console.Error.WriteLine($"restore: {directory} is not empty; restore needs an empty data directory");
            return Conflict;
        }

        // The node's layout: <data-dir>/store holds the FASTER store (see ConsensusServices).
        var storeDirectory = Path.Combine(directory, "store");
        try
        {
            var (index, revision, keys) = await FasterVersionedStore.RestoreAsync(file, new StoreOptions { Directory = storeDirectory }, token);
            Console.WriteLine($"restored {file} into {directory}: revision {revision}, {keys} keys (Raft index {index}); start the node with --data-dir {directory}");
            return Ok;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"restore: {file}: {e.Message}");
            TryDelete(storeDirectory);
            return Failed;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"restore: {e.Message}");
            return Failed;
        }
    }

    private static bool TryParse(string[] args, out string file, out string dataDir)
    {
        (file, dataDir) = ("", "");
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data-dir" && i + 1 < args.Length)
                dataDir = args[++i];
            else if (args[i].StartsWith("--data-dir=", StringComparison.Ordinal))
                dataDir = args[i]["--data-dir=".Length..];
            else if (!args[i].StartsWith("--", StringComparison.Ordinal) && file.Length == 0)
                file = args[i];
            else
                return false;
        }

        return file.Length > 0 && dataDir.Length > 0;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the directory was empty before, the operator can remove it.
        }
    }
}
