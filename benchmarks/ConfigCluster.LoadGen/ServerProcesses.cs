using System.Globalization;

namespace ConfigCluster.LoadGen;

/// <summary>
/// The server processes under test (<c>--pids</c>, in endpoint order), read from /proc: CPU
/// seconds spent and resident memory, so each workload can report CPU per 1k operations and RSS.
/// </summary>
internal sealed class ServerProcesses(IReadOnlyList<int> pids)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public IReadOnlyList<int> Pids => pids;

    /// <summary>User plus system CPU seconds of every process still running.</summary>
    public double CpuSeconds() => pids.Sum(pid => TryReadStat(pid) is { } fields
        ? (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond
        : 0);

    /// <summary>Resident memory of every process still running, in MiB.</summary>
    public double RssMiB() => pids.Sum(RssMiB);

    /// <summary>Resident memory of one process, in MiB (0 once it is gone).</summary>
    public double RssMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(static l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>kill -9 of the process serving endpoint <paramref name="index"/>.</summary>
    public void Kill(int index)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pids[index]);
            process.Kill(entireProcessTree: false);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    // Fields of /proc/PID/stat after the command name (which may hold spaces): index 11 = utime, 12 = stime.
    private static string[]? TryReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
