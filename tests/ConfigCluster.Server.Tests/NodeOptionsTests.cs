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
    [InlineData("--store-memory", "1MiB")]
    [InlineData("--compact-threshold", "512KiB")]
    [InlineData("--compact-threshold", "lots")]
    [InlineData("--durability", "maybe")]
    [InlineData("--election-timeout", "never")]
    [InlineData("--data-dir", "/proc/cc-cannot-create-here")]
    [InlineData("--tls-cert", "/nonexistent/cc-cert.pem")]
    [InlineData("--rate-limit-token", "100")]
    [InlineData("--rate-limit-source", "0/s")]
    [InlineData("--quota-token", "10/forever")]
    [InlineData("--max-watches-per-token", "-1")]
    [InlineData("--audit-sink", "udp:127.0.0.1:514")]
    [InlineData("--audit-sink-format", "cef")]
    public async Task BadOption_ExitsWithTheDocumentedCode2_WithOneLineNamingIt(string option, string value)
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

        Assert.Equal(2, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(option, lines[0]);
    }

    [Fact]
    public async Task UnreadableCertificate_ExitsWithCode2_NamingIt()
    {
        var (code, stderr) = await RunAsync(["--dev", "--data-dir", TempPath("cc-opt-"), "--tls-cert", "/nonexistent/cc-cert.pem", "--tls-key", "/nonexistent/cc-key.pem"]);

        Assert.Equal(2, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--tls-cert", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingDataDirValue_IsReported()
    {
        var (code, stderr) = await RunAsync(["--node-id", "n1", "--http", "http://127.0.0.1:1", "--grpc", "http://127.0.0.1:2", "--raft", "127.0.0.1:3", "--members", "127.0.0.1:3", "--data-dir"]);
        Assert.Equal(2, code);
        Assert.Contains("--data-dir", stderr);
    }

    [Theory]
    [InlineData("--dev", "--join")]
    [InlineData("--dev=true", "--join=true")]
    [InlineData("--join", "--dev")]
    public async Task Flags_WithoutOrWithAValue_AreReadAsFlags(string first, string second)
    {
        var (code, stderr) = await RunAsync([first, second, "--data-dir", TempPath("cc-opt-")]);
        Assert.Equal(2, code);
        Assert.Contains("--join and --dev do not go together", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnvironmentVariable_BadValue_ExitsNamingTheOption()
    {
        var (code, stderr) = await RunAsync(["--dev", "--data-dir", TempPath("cc-opt-")], new Dictionary<string, string> { ["CONFIGCLUSTER_SNAPSHOT_INTERVAL"] = "zero" });
        Assert.Equal(2, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--snapshot-interval: 'zero'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFile_IsReadBelowEnvironmentAndCommandLine()
    {
        var directory = Directory.CreateDirectory(TempPath("cc-optfile-")).FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "configcluster.json"), """{"log-format": "xml", "durability": "maybe"}""");
            string[] args = ["--dev", "--data-dir", Path.Combine(directory, "data"), "--log-format=text"];

            // The command line overrides the file's log-format; its durability is read and refused.
            var (code, stderr) = await RunAsync(args, workingDirectory: directory);
            Assert.Equal(2, code);
            Assert.Contains("--durability: 'maybe'", stderr, StringComparison.Ordinal);

            // The environment overrides the file.
            (code, stderr) = await RunAsync(args, new Dictionary<string, string> { ["CONFIGCLUSTER_DURABILITY"] = "eventually" }, directory);
            Assert.Equal(2, code);
            Assert.Contains("--durability: 'eventually'", stderr, StringComparison.Ordinal);

            // A misspelt key in the file is an error, not silently ignored.
            await File.WriteAllTextAsync(Path.Combine(directory, "configcluster.json"), """{"snapshot-intervall": "5"}""");
            (code, stderr) = await RunAsync(args, workingDirectory: directory);
            Assert.Equal(2, code);
            Assert.Contains("--snapshot-intervall: unknown option", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Help_ListsEveryDocumentedOption_WithItsDefault()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(ServerBinary.Path);
        start.ArgumentList.Add("--help");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var help = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
        var documented = ReadmeOptions();
        Assert.Contains("data-dir", documented);
        foreach (var option in documented)
        {
            var line = help.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("--" + option + " ", StringComparison.Ordinal) || l.Trim() == "--" + option);
            Assert.True(line is not null && line.Contains("[default: ", StringComparison.Ordinal), $"--help does not list --{option} with its default");
        }
    }

    // The `--name` options in the first cell of the README's "Running a node" table.
    private static List<string> ReadmeOptions()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "README.md")) || !File.Exists(Path.Combine(dir.FullName, "ConfigCluster.sln")))
            dir = dir.Parent;
        var readme = File.ReadAllLines(Path.Combine(dir.FullName, "README.md"));
        var table = readme.SkipWhile(static l => l != "## Running a node").Skip(1).TakeWhile(static l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(static l => l.StartsWith("| `--", StringComparison.Ordinal));
        return [.. table.SelectMany(static l => System.Text.RegularExpressions.Regex.Matches(l.Split('|')[1], "`--([a-z-]+)").Select(static m => m.Groups[1].Value)).Distinct()];
    }

    private static string TempPath(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));

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

    private static async Task<(int Code, string StdErr)> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(ServerBinary.Path);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }
}
