using ConfigCluster.Core.Crypto;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Hosting;

/// <summary>
/// <c>ConfigCluster.Server restore FILE --data-dir DIR [--key-file KEY]</c>: prepares one node's
/// empty data directory from a snapshot written by <c>ccctl snapshot save</c>, offline, with the
/// store itself (so the CLI does not ship FASTER; <c>ccctl snapshot restore</c> runs this). A
/// sealed backup (<see cref="BackupEnvelope"/>) is checked and opened with its key first; with a
/// key given, only a sealed backup is accepted (a plain file could have been put in its place).
/// </summary>
internal static class RestoreCommand
{
    /// <summary>Exit codes, the same as ccctl's for the same outcomes.</summary>
    private const int Ok = 0, Usage = 1, Conflict = 3, Failed = 6;

    public static async Task<int> RunAsync(string[] args, CancellationToken token)
    {
        if (!TryParse(args, out var file, out var dataDir, out var keyFile))
        {
            Console.Error.WriteLine("usage: ConfigCluster.Server restore FILE --data-dir DIR [--key-file KEY]");
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
        string? opened = null;
        try
        {
            opened = await OpenSealedAsync(file, keyFile, token);
            var (index, revision, keys) = await FasterVersionedStore.RestoreAsync(opened ?? file, new StoreOptions { Directory = storeDirectory }, token);
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
        finally
        {
            if (opened is not null)
                File.Delete(opened);
        }
    }

    // A sealed backup opened into a temporary plain snapshot (the caller deletes it); null for a
    // plain snapshot restored without a key.
    private static async Task<string?> OpenSealedAsync(string file, string? keyFile, CancellationToken token)
    {
        var start = new byte[16];
        await using (var probe = File.OpenRead(file))
            _ = await probe.ReadAtLeastAsync(start, start.Length, throwOnEndOfStream: false, token);
        var isSealed = BackupEnvelope.IsSealed(start);
        if (keyFile is null)
            return isSealed ? throw new InvalidDataException("the backup is sealed: give its key with --key-file") : null;
        if (!isSealed)
            throw new InvalidDataException("a key was given but the file is not a sealed backup; refusing a file that cannot be authenticated");
        var key = BackupEnvelope.ReadKeyFile(keyFile);
        var plain = file + $".{Guid.NewGuid():N}.open";
        try
        {
            await using var input = File.OpenRead(file);
            await using var output = new FileStream(plain, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await BackupEnvelope.OpenAsync(input, output, key, token);
            return plain;
        }
        catch
        {
            File.Delete(plain);
            throw;
        }
    }

    private static bool TryParse(string[] args, out string file, out string dataDir, out string? keyFile)
    {
        (file, dataDir, keyFile) = ("", "", null);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--key-file" && i + 1 < args.Length)
                keyFile = args[++i];
            else if (args[i] == "--data-dir" && i + 1 < args.Length)
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
