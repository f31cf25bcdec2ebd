using System.Diagnostics;
using System.Text;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// Runs a Node.js script of tests/clients/faces (third-party clients such as the npm <c>consul</c>
/// and <c>node-vault</c> packages, installed by <c>npm ci --prefix tests/clients/faces</c>) with
/// the given environment, and hands back its exit code and output.
/// </summary>
internal static class NodeClients
{
    public static string Directory => Path.Combine(ServerBinary.RepositoryRoot, "tests", "clients", "faces");

    public static async Task<(int ExitCode, string Output)> RunAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules")))
            throw new InvalidOperationException($"the npm clients are not installed: run 'npm ci --prefix {Directory}' (.ci/run does)");
        var start = new ProcessStartInfo("node", [Path.Combine(Directory, script)])
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            output.AppendLine($"(killed after {timeout.TotalSeconds:0} s)");
        }

        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
