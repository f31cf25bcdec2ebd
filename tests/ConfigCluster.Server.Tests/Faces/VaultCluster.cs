using System.Diagnostics;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// One 3-node cluster with a master key (KV v2 secrets are sealed) shared by the Vault face tests,
/// and the Node.js client directory (tests/clients/vault) with its packages installed.
/// </summary>
public sealed class VaultCluster : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    /// <summary>tests/clients/vault in this checkout.</summary>
    public static string ClientDirectory { get; } = FindClientDirectory();

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "50"],
            environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        await Cluster.WaitForAccessAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Runs <c>node SCRIPT</c> in the client directory (after <c>npm ci</c> when its packages are missing).</summary>
    public static async Task<(int ExitCode, string Output)> RunNodeAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        if (!Directory.Exists(Path.Combine(ClientDirectory, "node_modules")))
        {
            var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], new Dictionary<string, string>(), TimeSpan.FromMinutes(3));
            Assert.True(code == 0, $"npm ci in {ClientDirectory} failed ({code}):\n{output}");
        }

        return await RunAsync("node", [script], environment, timeout);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
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
            throw new TimeoutException($"{program} did not finish within {timeout.TotalSeconds:0} s:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string FindClientDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConfigCluster.sln")))
            dir = dir.Parent;
        return dir is null ? throw new InvalidOperationException("cannot find the repository root") : Path.Combine(dir.FullName, "tests", "clients", "vault");
    }
}

/// <summary>The tests that share <see cref="VaultCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class VaultClusterCollection : ICollectionFixture<VaultCluster>
{
    public const string Name = "vault cluster";
}
