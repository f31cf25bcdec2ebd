using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Packaging;

/// <summary>
/// ConfigCluster.Client as a .NET shop receives it: packed with <c>dotnet pack</c>, installed from a
/// local folder feed into a project outside the repository (tests/PackageConsumer, with the README's
/// hosting snippet pasted in), built, and run against a live three-node cluster.
/// </summary>
public sealed partial class PackageConsumerTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private const string Secret = "sk-package-consumer-1d2c3b4a";

    [Fact]
    public async Task Package_FromALocalFeed_BuildsTheReadmeSnippetAndRunsAgainstALiveCluster()
    {
        var root = ServerBinary.RepositoryRoot;
        var work = Path.Combine(Path.GetTempPath(), "cc-package", Guid.NewGuid().ToString("N")[..12]);
        var feed = Path.Combine(work, "feed");
        var consumer = Path.Combine(work, "consumer");
        // A version of its own per run: the user's global packages folder is reused (a fresh one
        // would restore everything from the network), and this version is removed from it after.
        var suffix = $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid().ToString("N")[..6]}";
        string? version = null;
        try
        {
            // The solution build compiled both projects in this configuration already. No build
            // servers or reused MSBuild nodes: nothing of this test outlives it.
            foreach (var project in (string[])["src/ConfigCluster.Contracts", "src/ConfigCluster.Client"])
                await DotnetCommand.MustRunAsync(root, null, CommandTimeout, "pack", project, "-c", ServerBinary.Configuration, "--no-build", "-nologo", "-v", "q", "-nodeReuse:false", "-o", feed, $"-p:VersionSuffix={suffix}");
            var package = Directory.GetFiles(feed, "ConfigCluster.Client.*.nupkg").Single();
            version = Path.GetFileNameWithoutExtension(package)["ConfigCluster.Client.".Length..];
            Assert.EndsWith(suffix, version);
            AssertPackageContents(package, version);

            Directory.CreateDirectory(consumer);
            var template = Path.Combine(root, "tests", "PackageConsumer");
            File.Copy(Path.Combine(template, "PackageConsumer.csproj"), Path.Combine(consumer, "PackageConsumer.csproj"));
            var program = await File.ReadAllTextAsync(Path.Combine(template, "Program.cs"));
            Assert.Contains("// README-SNIPPET", program);
            await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), program.Replace("// README-SNIPPET", ReadmeSnippet(root)));
            // The local feed beside the sources the user already has (NuGet merges the config files).
            await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="configcluster-local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await DotnetCommand.MustRunAsync(consumer, null, CommandTimeout, "build", "-c", "Release", "-nologo", "-v", "q", "--disable-build-servers", $"-p:ConfigClusterClientVersion={version}");
            var assets = await File.ReadAllTextAsync(Path.Combine(consumer, "obj", "project.assets.json"));
            Assert.Matches(new Regex($"\"ConfigCluster\\.Client/{Regex.Escape(version)}\":\\s*\\{{\\s*\"type\":\\s*\"package\""), assets);

            await using var cluster = await TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
            await cluster[0].Http.MustPutAsync("shop.maxItems", 10);
            await cluster[0].Http.MustPutAsync("shop.greeting", "hello");
            Assert.Equal(System.Net.HttpStatusCode.OK, (await cluster[0].Http.PutJsonAsync("/config/shop.apiKey", $"{{\"value\": \"{Secret}\", \"secret\": true}}")).Status);

            var environment = new Dictionary<string, string>
            {
                ["ConfigCluster__Token"] = NodeProcess.AdminToken,
                ["ConfigCluster__CacheFile"] = Path.Combine(work, "cache", "config.json"),
            };
            for (var i = 0; i < cluster.Nodes.Count; i++)
                environment[$"ConfigCluster__Endpoints__{i}"] = cluster[i].GrpcUrl;
            var dll = Path.Combine(consumer, "bin", "Release", "net10.0", "PackageConsumer.dll");
            var run = await DotnetCommand.RunAsync(consumer, environment, CommandTimeout, dll);
            Assert.True(run.ExitCode == 0 && run.Output.Contains("consumer: ok", StringComparison.Ordinal), $"consumer exited {run.ExitCode}:\n{run.Output}");
            Assert.Contains($"apiKey sha256 {Fingerprint(Secret)}", run.Output);
            Assert.DoesNotContain(Secret, await File.ReadAllTextAsync(Path.Combine(work, "cache", "config.json")));
        }
        finally
        {
            if (version is not null)
                ForgetPackages(version);
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>README.md's hosting snippet (the block between the package-consumer markers); the package README carries the same.</summary>
    private static string ReadmeSnippet(string root)
    {
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var match = SnippetBlock().Match(readme);
        Assert.True(match.Success, "README.md has no ```csharp block between the package-consumer markers");
        var snippet = match.Groups[1].Value;
        Assert.Contains(snippet, File.ReadAllText(Path.Combine(root, "src", "ConfigCluster.Client", "README.md")), StringComparison.Ordinal);
        return snippet;
    }

    [GeneratedRegex(@"<!-- package-consumer: begin[^\n]*\n```csharp\n(.*?)```\n<!-- package-consumer: end -->", RegexOptions.Singleline)]
    private static partial Regex SnippetBlock();

    /// <summary>What a package should carry: readme, license, repository, XML docs, symbols, and only the dependencies the client needs.</summary>
    private static void AssertPackageContents(string package, string version)
    {
        using (var zip = ZipFile.OpenRead(package))
        {
            var names = zip.Entries.Select(static e => e.FullName).ToHashSet();
            Assert.Contains("lib/net10.0/ConfigCluster.Client.dll", names);
            Assert.Contains("lib/net10.0/ConfigCluster.Client.xml", names);
            Assert.Contains("README.md", names);
            using var nuspecStream = zip.Entries.Single(static e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
            var nuspec = XDocument.Load(nuspecStream);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal(version, metadata.Element(ns + "version")!.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
            Assert.Equal("expression", metadata.Element(ns + "license")!.Attribute("type")!.Value);
            Assert.False(string.IsNullOrEmpty(metadata.Element(ns + "repository")?.Attribute("url")?.Value));
            var dependencies = metadata.Descendants(ns + "dependency").Select(static d => d.Attribute("id")!.Value).ToHashSet();
            Assert.Contains("ConfigCluster.Contracts", dependencies);
            Assert.Contains("Grpc.Net.Client", dependencies);
            Assert.All(dependencies, static d => Assert.True(
                d is "ConfigCluster.Contracts" || d.StartsWith("Grpc.Net.", StringComparison.Ordinal) || d.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal),
                $"unexpected dependency {d}: the client needs its contract, grpc-dotnet and Microsoft.Extensions abstractions only"));
            Assert.DoesNotContain(dependencies, static d => d.StartsWith("ConfigCluster.", StringComparison.Ordinal) && d != "ConfigCluster.Contracts");
            Assert.Equal(version, metadata.Descendants(ns + "dependency").Single(static d => d.Attribute("id")!.Value == "ConfigCluster.Contracts").Attribute("version")!.Value);
        }

        var symbols = Path.ChangeExtension(package, ".snupkg");
        Assert.True(File.Exists(symbols), $"no symbol package beside {package}");
        using var symbolZip = ZipFile.OpenRead(symbols);
        Assert.Contains(symbolZip.Entries, static e => e.FullName == "lib/net10.0/ConfigCluster.Client.pdb");
    }

    /// <summary>Removes this run's versions from the global packages folder (the feed itself is deleted with the work folder).</summary>
    private static void ForgetPackages(string version)
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in (string[])["configcluster.client", "configcluster.contracts"])
        {
            var folder = Path.Combine(packages, id, version.ToLowerInvariant());
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    private static string Fingerprint(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];
}
