using System.Diagnostics;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// The previous release of the server, built from this repository's history: the last commit
/// before the version gate (commands, records and snapshots without a format; members announce
/// no version). Exported with <c>git archive</c> (no worktree is registered in the repository) and
/// published once into <c>/tmp/configcluster-previous/COMMIT</c>, reused by later runs.
/// </summary>
internal static class PreviousRelease
{
    /// <summary>The commit built: "Store counters switch after the view they belong to", the parent of the version gate.</summary>
    public const string Commit = "c1a5ca204b91d8ffd9185f644157eead2109b699";

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "configcluster-previous", Commit);
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>The built server dll.</summary>
    public static string ServerDll => Path.Combine(Root, "bin", "ConfigCluster.Server.dll");

    /// <summary>Why the previous release cannot be built here at all (no git, or not a clone holding the commit), or null.</summary>
    public static string? WhyNotBuildable()
    {
        if (File.Exists(Path.Combine(Root, "complete")))
            return null;
        if (!Directory.Exists(Path.Combine(ServerBinary.RepositoryRoot, ".git")) && !File.Exists(Path.Combine(ServerBinary.RepositoryRoot, ".git")))
            return $"the previous release is built from git history, and {ServerBinary.RepositoryRoot} is not a git checkout";
        var (code, _, error) = Run("git", ServerBinary.RepositoryRoot, TimeSpan.FromSeconds(30), "cat-file", "-e", Commit + "^{commit}").GetAwaiter().GetResult();
        return code == 0 ? null : $"commit {Commit[..12]} (the previous release) is not in this clone (shallow?): {error.Trim()}";
    }

    /// <summary>Builds the previous release once (cached under /tmp by commit) and returns its server dll.</summary>
    /// <exception cref="InvalidOperationException">The build failed (its output is in the message).</exception>
    public static async Task<string> BuildAsync()
    {
        await Gate.WaitAsync();
        try
        {
            var complete = Path.Combine(Root, "complete");
            if (File.Exists(complete) && File.Exists(ServerDll))
                return ServerDll;
            Directory.CreateDirectory(Root);
            // Other test processes (or CI jobs) may build at the same time: one holds the lock file.
            await using var lockFile = await LockAsync(Path.Combine(Root, "lock"));
            if (File.Exists(complete) && File.Exists(ServerDll))
                return ServerDll;
            var source = Path.Combine(Root, "src");
            if (Directory.Exists(source))
                Directory.Delete(source, recursive: true);
            Directory.CreateDirectory(source);
            var archive = Path.Combine(Root, "src.tar");
            await Must("git", ServerBinary.RepositoryRoot, TimeSpan.FromMinutes(1), "archive", "--format=tar", "-o", archive, Commit);
            await Must("tar", source, TimeSpan.FromMinutes(1), "-xf", archive);
            File.Delete(archive);
            await Must("dotnet", source, TimeSpan.FromMinutes(10), "publish", "src/ConfigCluster.Server/ConfigCluster.Server.csproj", "-c", "Release", "-o", Path.Combine(Root, "bin"), "-nologo", "-v", "q");
            await File.WriteAllTextAsync(complete, Commit + Environment.NewLine);
            Directory.Delete(source, recursive: true);
            return ServerDll;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(15);
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Held by another process building the same commit: its result is reused.
                await Task.Delay(delay);
            }
        }
    }

    private static async Task Must(string tool, string directory, TimeSpan timeout, params string[] args)
    {
        var (code, output, error) = await Run(tool, directory, timeout, args);
        if (code != 0)
            throw new InvalidOperationException($"building the previous release ({Commit[..12]}): {tool} {string.Join(' ', args)} exited with {code}\n{output}\n{error}");
    }

    private static async Task<(int Code, string Out, string Err)> Run(string tool, string directory, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        using var cancel = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "", $"timed out after {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A fact skipped, with the reason, only where the previous release cannot be built at all (no git history holding it).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PreviousReleaseFactAttribute : FactAttribute
{
    public PreviousReleaseFactAttribute()
    {
        if (PreviousRelease.WhyNotBuildable() is { } reason)
            Skip = reason;
    }
}
