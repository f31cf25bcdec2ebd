using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Demo;

/// <summary>deploy/demo-service as a real process on a loopback port, configured like a deployment: environment variables only.</summary>
internal sealed class DemoServiceProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> log = new();
    private readonly Dictionary<string, string> environment;
    private Process? process;

    /// <param name="cacheFile">The last-known-good file (kept across restarts of the service).</param>
    /// <param name="login">Machine-login settings (<c>ConfigCluster__AppRoleLogin__...</c>) used instead of the admin token.</param>
    public DemoServiceProcess(TestCluster cluster, string cacheFile, IReadOnlyDictionary<string, string>? login = null)
    {
        Port = PortAllocator.Next();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(10) };
        environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["ConfigCluster__Token"] = NodeProcess.AdminToken,
            ["ConfigCluster__CacheFile"] = cacheFile,
            // A short start-up wait, so a start with every node down falls back to the cache quickly.
            ["ConfigCluster__StartupTimeout"] = "00:00:03",
            ["ConfigCluster__OperationTimeout"] = "00:00:10",
            ["Logging__LogLevel__Default"] = "Information",
        };
        for (var i = 0; i < cluster.Nodes.Count; i++)
            environment[$"ConfigCluster__Endpoints__{i}"] = cluster[i].GrpcUrl;
        if (login is not null)
        {
            environment.Remove("ConfigCluster__Token");
            foreach (var (name, value) in login)
                environment[name] = value;
        }
    }

    public static string Dll { get; } = ServerBinary.Find("deploy", "demo-service", "ConfigCluster.DemoService.dll");

    public int Port { get; }

    public HttpClient Http { get; }

    public string Log => string.Join('\n', log);

    /// <summary>Starts the service and waits until it answers /health (from the cluster or from its cache).</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Dll)!,
        };
        start.ArgumentList.Add(Dll);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.WaitAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the demo service exited with code {process.ExitCode}:\n{Log}");
            using var response = await Http.GetAsync("/health");
            return (int)response.StatusCode is 200 or 503;
        }, timeout, "the demo service to answer /health");
    }

    public async Task<JsonNode> SettingsAsync() => JsonNode.Parse(await Http.GetStringAsync("/settings"))!;

    public async Task<JsonNode> HealthAsync()
    {
        using var response = await Http.GetAsync("/health");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>SIGTERM (a clean shutdown), then kill after 10 s.</summary>
    public async Task StopAsync()
    {
        if (process is not { HasExited: false })
            return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        log.Enqueue(line);
        while (log.Count > 2000 && log.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        Http.Dispose();
    }
}
