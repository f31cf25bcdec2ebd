using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ConfigCluster.Server.Tests.Durability;

/// <summary>
/// strace attached to every thread of one node process, recording when the WAL made entries
/// durable. DotNext's flush msyncs (MS_SYNC) the data and metadata pages and then writes the
/// checkpoint record (version, commit index, last durable index) through an O_SYNC handle, so a
/// completed write of <c>wal/checkpoint</c> with last index L means entries up to L are on disk.
/// The msync calls of a traced node can be delayed (strace fault injection), so a write whose
/// acknowledgement does not wait for that node's sync visibly overtakes it.
/// </summary>
internal sealed partial class WalSyncTrace : IAsyncDisposable
{
    private readonly Process strace;
    private readonly string output;

    private WalSyncTrace(Process strace, string output)
    {
        this.strace = strace;
        this.output = output;
    }

    public static WalSyncTrace Attach(int processId, string output, TimeSpan syncDelay)
    {
        if (!File.Exists("/usr/bin/strace"))
            throw new InvalidOperationException("strace is required (apt-get install strace; .ci/run installs it)");
        var start = new ProcessStartInfo("/usr/bin/strace")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "-f", "-ttt", "-T", "-y", "-xx", "-s", "64", "-o", output,
                     "-e", "trace=pwrite64,msync,fsync,fdatasync",
                     "-p", processId.ToString(CultureInfo.InvariantCulture),
                 })
            start.ArgumentList.Add(argument);
        if (syncDelay > TimeSpan.Zero)
        {
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add($"inject=msync:delay_enter={(long)syncDelay.TotalMicroseconds}");
        }
        var process = Process.Start(start)!;
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginErrorReadLine();
        return new WalSyncTrace(process, output);
    }

    /// <summary>Whether the trace shows syncs at all (the tracer is attached and working).</summary>
    public bool HasSyncs() => File.Exists(output) && ReadLines().Any(static l => l.Contains("msync(", StringComparison.Ordinal));

    /// <summary>Completed durable checkpoint records: (completion time in Unix seconds, last durable index).</summary>
    public IReadOnlyList<(double CompletedAt, long LastIndex)> DurableRecords()
    {
        var records = new List<(double, long)>();
        var pending = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in ReadLines())
        {
            if (CheckpointWrite().Match(line) is { Success: true } write
                && System.Text.Encoding.UTF8.GetString(Unescape(write.Groups["path"].Value)).EndsWith("/wal/checkpoint", StringComparison.Ordinal))
            {
                var lastIndex = LastIndexOf(write.Groups["bytes"].Value);
                if (write.Groups["duration"].Success)
                    records.Add((Seconds(write.Groups["at"].Value) + Seconds(write.Groups["duration"].Value), lastIndex));
                else
                    pending[write.Groups["pid"].Value] = lastIndex;
            }
            else if (Resumed().Match(line) is { Success: true } resumed && pending.Remove(resumed.Groups["pid"].Value, out var index))
            {
                records.Add((Seconds(resumed.Groups["at"].Value), index));
            }
        }

        return records;
    }

    private IEnumerable<string> ReadLines()
    {
        using var stream = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            yield return line;
    }

    // The record is a 4-byte version (1) and two little-endian longs: commit index, last index.
    private static long LastIndexOf(string escaped)
    {
        var bytes = Unescape(escaped);
        return bytes.Length >= 20 && bytes[0] == 1 ? BitConverter.ToInt64(bytes, 12) : -1;
    }

    // strace -xx prints every byte as \xHH, in paths (-y) as well.
    private static byte[] Unescape(string escaped) => Convert.FromHexString(escaped.Replace("\\x", "", StringComparison.Ordinal));

    private static double Seconds(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<pid>\d+) +(?<at>\d+\.\d+) pwrite64\(\d+<(?<path>[^>]*)>, ""(?<bytes>[^""]*)"", 20, 0(\) = 20 <(?<duration>[0-9.]+)>| <unfinished)")]
    private static partial Regex CheckpointWrite();

    [GeneratedRegex(@"^(?<pid>\d+) +(?<at>\d+\.\d+) <\.\.\. pwrite64 resumed>.* = 20 <")]
    private static partial Regex Resumed();

    public async ValueTask DisposeAsync()
    {
        if (!strace.HasExited)
        {
            // SIGINT: strace detaches from the node's threads and exits (SIGKILL could leave them stopped).
            using (var interrupt = Process.Start("/bin/kill", ["-INT", strace.Id.ToString(CultureInfo.InvariantCulture)]))
                await interrupt.WaitForExitAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await strace.WaitForExitAsync(bound.Token);
        }

        strace.Dispose();
    }
}
