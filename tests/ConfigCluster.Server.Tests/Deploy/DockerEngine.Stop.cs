using System.Globalization;

namespace ConfigCluster.Server.Tests.Deploy;

internal sealed partial class DockerEngine
{
    /// <summary>
    /// Stops the daemon (SIGTERM, which stops its containers and its containerd; SIGKILL after
    /// 30 s), kills whatever of it is left (containerd, shims: every process whose command line
    /// names this engine's directory), unmounts what it mounted there and removes the directory.
    /// Returns what had to be cleaned up by force, empty when the daemon went away by itself.
    /// Safe to call twice.
    /// </summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        var forced = new List<string>();
        if (Stopped)
            return forced;
        if (!daemon.HasExited)
        {
            await SignalAsync("-TERM");
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await daemon.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                forced.Add("dockerd ignored SIGTERM for 30 s: killed");
                daemon.Kill(entireProcessTree: true);
                await daemon.WaitForExitAsync();
            }
        }

        foreach (var pid in ProcessesUnder(Root))
        {
            forced.Add($"process {pid} ({CommandLine(pid)}) outlived dockerd: killed");
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // gone meanwhile
            }
        }

        // Deepest first; lazily, so a mount still busy for a moment does not keep the rest.
        foreach (var mount in MountsUnder(Root).OrderByDescending(static m => m.Length))
        {
            forced.Add($"mount {mount} outlived dockerd: unmounted");
            await Command.RunAsync("umount", ["-l", mount], TimeSpan.FromSeconds(20));
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException e)
        {
            forced.Add($"could not remove {Root}: {e.Message}");
        }

        Stopped = true;
        return forced;
    }

    /// <summary>Processes whose command line mentions <paramref name="dir"/> (this engine's containerd and shims).</summary>
    public static IReadOnlyList<int> ProcessesUnder(string dir)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
                continue;
            if (CommandLine(pid).Contains(dir, StringComparison.Ordinal))
                found.Add(pid);
        }

        return found;
    }

    /// <summary>Mount points at or below <paramref name="dir"/>.</summary>
    public static IReadOnlyList<string> MountsUnder(string dir)
        => File.ReadLines("/proc/self/mountinfo")
            .Select(static line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(mount => mount == dir || mount.StartsWith(dir + "/", StringComparison.Ordinal))
            .ToList();

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
