using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// A node process started with exactly the arguments, <c>CONFIGCLUSTER_*</c> variables and
/// working directory given — none of <see cref="NodeProcess"/>'s defaults (no listeners on the
/// command line, no bootstrap token, no cluster secret): for <c>--dev</c> and for configuration
/// that comes only from the environment. Killed on dispose.
/// </summary>
internal sealed class BareNode : IAsyncDisposable
{
    private const int MaxLogLines = 4000;
    private readonly ConcurrentQueue<string> log = new();
    private readonly Process process;

    private BareNode(Process process) => this.process = process;

    /// <summary>Everything the node wrote to stdout and stderr (bounded).</summary>
    public string Log => string.Join('\n', log);

    public bool IsRunning => !process.HasExited;

    public static BareNode Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(ServerBinary.Path);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // Whatever the test runner's environment holds, only the given variables configure the node.
        foreach (var name in start.Environment.Keys.Where(static k => k.StartsWith("CONFIGCLUSTER_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new BareNode(process);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>An HTTP client for <paramref name="baseUrl"/> that sends <paramref name="token"/> (none when null).</summary>
    public static HttpClient Client(string baseUrl, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Waits until <c>/health/live</c> answers at <paramref name="baseUrl"/>; fails at once if the process exits.</summary>
    public async Task WaitUntilLiveAsync(string baseUrl, TimeSpan timeout)
    {
        using var probe = Client(baseUrl, null);
        await Eventually.WaitAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the node exited with code {process.ExitCode}:\n{Log}");
            using var response = await probe.GetAsync("/health/live");
            return response.IsSuccessStatusCode;
        }, timeout, $"the node at {baseUrl} to be live");
    }

    /// <summary>Waits for a log line containing <paramref name="marker"/>; returns what follows the marker on that line.</summary>
    public async Task<string> WaitForLineAsync(string marker, TimeSpan timeout)
    {
        string? found = null;
        await Eventually.WaitAsync(() =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the node exited with code {process.ExitCode}:\n{Log}");
            var line = log.FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
            found = line?[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Trim();
            return found is not null;
        }, timeout, $"a log line with '{marker}'");
        return found!;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        log.Enqueue(line);
        while (log.Count > MaxLogLines && log.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
