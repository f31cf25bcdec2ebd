using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;
using Microsoft.Playwright;

namespace ConfigCluster.Console.Tests;

/// <summary>
/// One real three-node cluster (with a master key, so secrets work) and one headless Chromium
/// (Debian's <c>chromium</c>, driven by Playwright; nothing is downloaded) for a test class.
/// </summary>
public sealed class ConsoleCluster : IAsyncLifetime
{
    /// <summary>Debian's browser; the Playwright driver runs from the NuGet package (offline).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    internal TestCluster Cluster { get; private set; } = null!;

    private IPlaywright playwright = null!;

    internal IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium package (.ci/run does)");
        var starting = TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        // Expect(...) waits as long as any other UI step (its own default, 5 s, was too short for a
        // linearizable list on a follower beside a browser on a loaded 2-core CI machine).
        Assertions.SetDefaultExpectTimeout(ConsolePage.Timeout);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        Cluster = await starting;
    }

    public async Task DisposeAsync()
    {
        await Browser.CloseAsync();
        playwright.Dispose();
        await Cluster.DisposeAsync();
    }

    /// <summary>A fresh browser context (its own session storage) on <paramref name="node"/>'s console, signed in with <paramref name="token"/>.</summary>
    internal async Task<ConsolePage> OpenAsync(int node, string token = NodeProcess.AdminToken, int width = 1280, int height = 800, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = new ConsolePage(context, await context.NewPageAsync(), Cluster[node]) { TestName = test };
        await page.SignInAsync(token);
        return page;
    }
}
