using System.Diagnostics;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Start-up validation and seed import of a real node process.</summary>
public sealed class NodeOptionsTests
{
    [Theory]
    [InlineData("--http", "not-a-url")]
    [InlineData("--raft", "nonsense")]
    [InlineData("--members", "127.0.0.1:1")]
    [InlineData("--snapshot-interval", "zero")]
    [InlineData("--bogus", "1")]
    [InlineData("--max-value-bytes", "8388608")]
    [InlineData("--log-format", "xml")]
    public async Task BadOption_ExitsNonZero_WithOneLineNamingIt(string option, string value)
    {
        var args = new Dictionary<string, string>
        {
            ["--node-id"] = "n1",
            ["--http"] = "http://127.0.0.1:1",
            ["--grpc"] = "http://127.0.0.1:2",
            ["--raft"] = "127.0.0.1:3",
            ["--members"] = "127.0.0.1:3",
            ["--data-dir"] = Path.Combine(Path.GetTempPath(), "cc-opt-" + Guid.NewGuid().ToString("N")),
        };
        args[option] = value;

        var (code, stderr) = await RunAsync(args.SelectMany(static a => new[] { a.Key, a.Value }));

        Assert.NotEqual(0, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(option, lines[0]);
    }

    [Fact]
    public async Task MissingDataDirValue_IsReported()
    {
        var (code, stderr) = await RunAsync(["--node-id", "n1", "--http", "http://127.0.0.1:1", "--grpc", "http://127.0.0.1:2", "--raft", "127.0.0.1:3", "--members", "127.0.0.1:3", "--data-dir"]);
        Assert.NotEqual(0, code);
        Assert.Contains("--data-dir", stderr);
    }

    [Fact]
    public async Task SeedFile_ImportedFlattened_AndImportingTwiceCreatesNoNewVersions()
    {
        var seed = Path.Combine(Path.GetTempPath(), $"cc-seed-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(seed, "database:\n  host: db1\n  port: 5432\n  ssl: true\nfeatures: [a, b]\nname: \"007\"\n");
        try
        {
            await using var cluster = await TestCluster.StartAsync(arguments: ["--seed-file", seed]);
            var http = cluster[0].Http;
            await Eventually.WaitAsync(async () => (await http.GetJsonAsync("/config?prefix=")).Body!["items"]!.AsArray().Count == 5, TimeSpan.FromSeconds(30), "the seed to be imported");
            Assert.Equal("db1", (await http.GetJsonAsync("/config/database.host")).Body!["value"]!.GetValue<string>());
            Assert.Equal(5432, (await http.GetJsonAsync("/config/database.port")).Body!["value"]!.GetValue<int>());
            Assert.True((await http.GetJsonAsync("/config/database.ssl")).Body!["value"]!.GetValue<bool>());
            Assert.Equal("007", (await http.GetJsonAsync("/config/name")).Body!["value"]!.GetValue<string>());
            Assert.Equal(2, (await http.GetJsonAsync("/config/features")).Body!["value"]!.AsArray().Count);

            // Every node imported the same file at start, and a full restart imports it again.
            for (var i = 0; i < 3; i++)
                await cluster.RestartNodeAsync(i);
            await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
            await Eventually.WaitAsync(() => cluster.Nodes.All(n => n.Log.Split('\n').Count(l => l.Contains("Seed file:", StringComparison.Ordinal)) >= 2), TimeSpan.FromSeconds(30), "every node to finish its second import");
            var (_, history) = await http.GetJsonAsync("/config/history/database.host");
            Assert.Single(history!["versions"]!.AsArray());
        }
        finally
        {
            File.Delete(seed);
        }
    }

    private static async Task<(int Code, string StdErr)> RunAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(ServerBinary.Path);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }
}
