using System.Diagnostics;
using System.Text;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>
/// Runs a Node.js script of tests/clients/faces (third-party clients such as the npm <c>consul</c>
/// and <c>node-vault</c> packages, pinned by its lock file) with the given environment, and hands
/// back its exit code and output. The packages are installed with <c>npm ci</c> when missing
/// (<c>.ci/run</c> does it first).
/// </summary>
internal static class NodeClients
{
    public static string Directory => Path.Combine(ServerBinary.RepositoryRoot, "tests", "clients", "faces");

    public static async Task<(int ExitCode, string Output)> RunAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        await Installed.Value;
        return await RunProcessAsync("node", [Path.Combine(Directory, script)], environment, timeout);
    }

    private static readonly Lazy<Task> Installed = new(static async () =>
    {
        if (System.IO.Directory.Exists(Path.Combine(Directory, "node_modules")))
            return;
        var (code, output) = await RunProcessAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], new Dictionary<string, string>(), TimeSpan.FromMinutes(3));
        if (code != 0)
            throw new InvalidOperationException($"npm ci in {Directory} failed ({code}):\n{output}");
    });

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments)
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
