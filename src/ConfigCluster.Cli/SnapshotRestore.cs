using System.CommandLine;
using System.Diagnostics;

namespace ConfigCluster.Cli;

/// <summary>
/// <c>ccctl snapshot restore FILE --data-dir DIR</c>: the restore is done offline by the node
/// binary itself (<c>ConfigCluster.Server.dll restore</c>), which owns the store format, so
/// ccctl does not ship the storage engine. This finds that binary and runs it, or prints the
/// command to run.
/// </summary>
internal static class SnapshotRestore
{
    private const string ServerDll = "ConfigCluster.Server.dll";

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a snapshot written by 'ccctl snapshot save'" };
        var dataDir = new Option<string>("--data-dir") { Description = "an empty data directory for one node of the new cluster", Required = true };
        var server = new Option<string?>("--server") { Description = $"path of {ServerDll} (env CONFIGCLUSTER_SERVER; default: beside ccctl, or the build in the source tree)" };
        var keyFile = new Option<string?>("--key-file") { Description = "the backup key a sealed backup was saved with (32 bytes, base64); with it only a sealed backup is accepted" };
        var restore = new Command("restore", "prepare a node's data directory from a snapshot; restore every node of the new cluster from the same file") { file, dataDir, server, keyFile };
        restore.SetAction(async (parse, token) =>
        {
            string[] arguments = ["restore", parse.GetValue(file)!, "--data-dir", parse.GetValue(dataDir)!];
            if (parse.GetValue(keyFile) is { } key)
                arguments = [.. arguments, "--key-file", Path.GetFullPath(key)];
            var dll = parse.GetValue(server) ?? Environment.GetEnvironmentVariable("CONFIGCLUSTER_SERVER") ?? Find();
            if (dll is null || !File.Exists(dll))
            {
                Console.Error.WriteLine($"ccctl: cannot find {ServerDll} (pass --server PATH or set CONFIGCLUSTER_SERVER); run it yourself:");
                Console.Error.WriteLine($"  dotnet {dll ?? ServerDll} {string.Join(' ', arguments.Select(Quote))}");
                return ExitCodes.Usage;
            }

            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            start.ArgumentList.Add(dll);
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            await process.WaitForExitAsync(token);
            return process.ExitCode;
        });
        return restore;
    }

    // Beside ccctl (a published bundle), else the newest build of the server project in the
    // source tree above ccctl or above the working directory (running from a checkout).
    private static string? Find()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, ServerDll);
        if (File.Exists(beside))
            return beside;
        return new[] { AppContext.BaseDirectory, Environment.CurrentDirectory }
            .SelectMany(Ancestors)
            .SelectMany(static dir => new[] { "Release", "Debug" }.Select(c => Path.Combine(dir, "src", "ConfigCluster.Server", "bin", c, "net10.0", ServerDll)))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    private static IEnumerable<string> Ancestors(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            yield return dir.FullName;
    }

    private static string Quote(string text) => text.Contains(' ', StringComparison.Ordinal) ? $"\"{text}\"" : text;
}
