using System.Diagnostics;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Runs the built ccctl against a test cluster (its gRPC endpoints and the admin token).</summary>
internal static class Ccctl
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(TestCluster? cluster, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ServerBinary.Cli);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        if (cluster is not null)
            start.Environment["CONFIGCLUSTER_ENDPOINTS"] = string.Join(',', cluster.Nodes.Select(static n => n.GrpcUrl));
        start.Environment["CONFIGCLUSTER_TOKEN"] = NodeProcess.AdminToken;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
