using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>One ConfigCluster node as a real child process on loopback ports.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private const int MaxLogLines = 4000;
    private readonly ConcurrentQueue<string> log = new();
    private Process? process;

    public NodeProcess(string nodeId, string dataDirectory, string host = "127.0.0.1", string? networkNamespace = null)
    {
        NodeId = nodeId;
        DataDirectory = dataDirectory;
        Host = host;
        NetworkNamespace = networkNamespace;
        HttpPort = PortAllocator.Next();
        GrpcPort = PortAllocator.Next();
        RaftPort = PortAllocator.Next();
        Http = new HttpClient { BaseAddress = new Uri(HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
        Grpc = GrpcChannel.ForAddress(GrpcUrl, new GrpcChannelOptions
        {
            Credentials = global::Grpc.Core.ChannelCredentials.Create(global::Grpc.Core.ChannelCredentials.Insecure, global::Grpc.Core.CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {AdminToken}");
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        Anonymous = new HttpClient { BaseAddress = new Uri(HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The bootstrap (root) token every test cluster starts with.</summary>
    public const string AdminToken = "cc_test_admin_token_0123456789abcdef";

    /// <summary>The cluster secret every test node is provisioned with (base64 of 32 bytes): audit and peer keys derive from it.</summary>
    public const string ClusterSecret = "Y2MtdGVzdC1jbHVzdGVyLXNlY3JldC0wMTIzNDU2Nzg=";

    public string NodeId { get; }

    /// <summary>An HTTP client that sends no token.</summary>
    public HttpClient Anonymous { get; }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int GrpcPort { get; }

    public int RaftPort { get; }

    /// <summary>The address the node listens on (loopback, or its network namespace's address).</summary>
    public string Host { get; }

    /// <summary>The network namespace the node runs in, or null for the host's.</summary>
    public string? NetworkNamespace { get; }

    public string HttpUrl => $"http://{Host}:{HttpPort}";

    public string GrpcUrl => $"http://{Host}:{GrpcPort}";

    public string RaftEndPoint => $"{Host}:{RaftPort}";

    public HttpClient Http { get; }

    public GrpcChannel Grpc { get; }

    public bool IsRunning => process is { HasExited: false };

    /// <summary>The node's process id while it runs (for tracing it), else null.</summary>
    public int? ProcessId => process is { HasExited: false } running ? running.Id : null;

    /// <summary>Resident memory of the node process in KiB (from /proc), or 0 when it is not running.</summary>
    public long ResidentKiB()
    {
        if (process is not { HasExited: false } running)
            return 0;
        var line = File.ReadLines($"/proc/{running.Id}/status").FirstOrDefault(static l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Everything the node wrote to stdout and stderr (bounded).</summary>
    public string Log => string.Join('\n', log);

    public IReadOnlyList<string> ExtraArguments { get; set; } = [];

    /// <summary>The server build this node runs (the current one unless an upgrade test names an older build).</summary>
    public string BinaryPath { get; set; } = ServerBinary.Path;

    public IReadOnlyDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();

    public void Start(string members)
    {
        var start = new ProcessStartInfo(NetworkNamespace is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (NetworkNamespace is not null)
        {
            // "ip netns exec" execs dotnet in place, so the process id stays the node's.
            foreach (var arg in (string[])["netns", "exec", NetworkNamespace, "dotnet"])
                start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add(BinaryPath);
        foreach (var arg in (string[])["--node-id", NodeId, "--http", HttpUrl, "--grpc", GrpcUrl, "--raft", RaftEndPoint, "--members", members, "--data-dir", DataDirectory])
            start.ArgumentList.Add(arg);
        foreach (var arg in ExtraArguments)
            start.ArgumentList.Add(arg);
        start.Environment.Remove("CONFIGCLUSTER_MASTER_KEY");
        start.Environment["CONFIGCLUSTER_BOOTSTRAP_TOKEN"] = AdminToken;
        start.Environment["CONFIGCLUSTER_CLUSTER_SECRET"] = ClusterSecret;
        foreach (var (name, value) in Environment)
            start.Environment[name] = value;

        // Published only once started: other threads read IsRunning meanwhile, and HasExited of a
        // Process not started yet throws (that once killed the upgrade test's load loop).
        var started = new Process { StartInfo = start, EnableRaisingEvents = true };
        started.OutputDataReceived += (_, e) => Append(e.Data);
        started.ErrorDataReceived += (_, e) => Append(e.Data);
        started.Start();
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
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

    public async Task WaitUntilLiveAsync(TimeSpan timeout)
        => await Eventually.WaitAsync(async () =>
        {
            if (!IsRunning)
                throw new InvalidOperationException($"node {NodeId} exited with code {process?.ExitCode}:\n{Log}");
            using var response = await Http.GetAsync("/health/live");
            return response.IsSuccessStatusCode;
        }, timeout, $"node {NodeId} to be live");

    /// <summary>kill -9.</summary>
    public async Task KillAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGSTOP: the process and its sockets stay, but it runs nothing and answers nothing until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        if (process is not { HasExited: false })
            throw new InvalidOperationException($"node {NodeId} is not running; cannot send {signal}");
        using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill {signal} {process.Id} exited with {kill.ExitCode}");
    }

    /// <summary>SIGTERM, then kill after 10 s.</summary>
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
            await KillAsync();
        }
    }

    public void WipeData()
    {
        if (Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process?.Dispose();
        Http.Dispose();
        Anonymous.Dispose();
        Grpc.Dispose();
    }
}
