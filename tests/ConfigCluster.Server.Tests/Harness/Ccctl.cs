using System.Diagnostics;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Runs the built ccctl against a test cluster (its gRPC endpoints and the admin token).</summary>
internal static class Ccctl
{
    public static Task<(int Code, string Out, string Err)> RunAsync(TestCluster? cluster, params string[] args) => RunWithAsync(cluster, null, args);

    /// <summary>Runs ccctl with extra environment variables.</summary>
    public static async Task<(int Code, string Out, string Err)> RunWithAsync(TestCluster? cluster, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ServerBinary.Cli);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        if (cluster is not null)
            start.Environment["CONFIGCLUSTER_ENDPOINTS"] = string.Join(',', cluster.Nodes.Select(static n => n.GrpcUrl));
        start.Environment["CONFIGCLUSTER_TOKEN"] = NodeProcess.AdminToken;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
