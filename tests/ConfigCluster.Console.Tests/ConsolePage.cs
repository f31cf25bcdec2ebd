using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ConfigCluster.Server.Tests.Harness;
using Microsoft.Playwright;

namespace ConfigCluster.Console.Tests;

/// <summary>
/// One signed-in console tab. Records every console error and uncaught page error (a test fails on
/// any) and saves a screenshot as a test artifact.
/// </summary>
internal sealed class ConsolePage(IBrowserContext context, IPage page, NodeProcess node) : IAsyncDisposable
{
    /// <summary>How long a UI condition may take (the watch promises well under a second; the cluster a few).</summary>
    public static readonly float Timeout = 15_000;

    private readonly List<string> errors = [];

    // Every request the page made, with its answer and duration: saved beside the last screenshot
    // (a UI that waited on the API shows here which call it waited for).
    private readonly List<string> network = [];
    private readonly Dictionary<IRequest, DateTime> started = [];

    // Statuses a scenario expects the API to answer (e.g. 409 for a CAS conflict): Chromium logs
    // each non-2xx fetch as a console error even when the page handles it.
    private readonly HashSet<int> expectedStatuses = [];

    /// <summary>Lets the browser's "Failed to load resource" line for these statuses pass (the scenario provokes them).</summary>
    public void ExpectStatuses(params int[] statuses) => expectedStatuses.UnionWith(statuses);

    public IPage Page => page;

    public NodeProcess Node => node;

    public IReadOnlyList<string> Errors => errors;

    public async Task SignInAsync(string token)
    {
        page.SetDefaultTimeout(Timeout);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !IsExpectedFailedRequest(message.Text))
                errors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) => errors.Add($"page error: {error}");
        page.Request += (_, request) => { lock (network) started[request] = DateTime.UtcNow; };
        page.RequestFinished += (_, request) => Record(request, "finished");
        page.RequestFailed += (_, request) => Record(request, $"failed ({request.Failure})");
        var response = await page.GotoAsync($"{node.HttpUrl}/ui/");
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        await page.FillAsync("#token", token);
        await page.PressAsync("#token", "Enter");
        await Assertions.Expect(page.Locator("#nav")).ToBeVisibleAsync();
    }

    private void Record(IRequest request, string outcome)
    {
        lock (network)
        {
            var at = started.Remove(request, out var start) ? start : DateTime.UtcNow;
            network.Add($"{at:HH:mm:ss.fff} +{(DateTime.UtcNow - at).TotalMilliseconds,6:F0} ms {request.Method} {request.Url} {outcome}");
        }
    }

    private bool IsExpectedFailedRequest(string text)
        => Regex.Match(text, @"^Failed to load resource: the server responded with a status of (\d+)") is { Success: true } m
           && expectedStatuses.Contains(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    public ILocator Locator(string selector) => page.Locator(selector);

    public Task GoAsync(string hash) => page.EvaluateAsync($"location.hash = {System.Text.Json.JsonSerializer.Serialize(hash)}");

    /// <summary>Opens namespace/environment on the keys page and waits for the tree.</summary>
    public async Task OpenKeysAsync(string ns = "default", string env = "default")
    {
        // A click on the link of the page already shown changes the hash, and the hashchange that
        // follows (after the click returns) mounts the page again, wiping what was filled meanwhile.
        if (await page.Locator("#nav a[data-page=keys][aria-current]").CountAsync() == 0)
        {
            await page.ClickAsync("#nav a[data-page=keys]");
            await Assertions.Expect(page.Locator("#nav a[data-page=keys][aria-current]")).ToHaveCountAsync(1);
        }

        await page.FillAsync("#ns", ns);
        await page.FillAsync("#env", env);
        await page.ClickAsync("form.toolbar button[type=submit]");
        await Assertions.Expect(page.Locator("#detail")).ToContainTextAsync("Pick a key");
        await Assertions.Expect(page.Locator("#key-count")).ToContainTextAsync("keys");
    }

    public async Task OpenKeyAsync(string key)
    {
        await page.Locator($".leaf[data-key=\"{key}\"]").ClickAsync();
        await Assertions.Expect(page.Locator("#key-name")).ToHaveTextAsync(key);
    }

    /// <summary>Every session/local storage entry of the page, as text.</summary>
    public Task<string> StorageAsync()
        => page.EvaluateAsync<string>("() => JSON.stringify({ session: Object.entries(sessionStorage), local: Object.entries(localStorage) })");

    /// <summary>Saves a screenshot under the test results directory (TestResults/console-screenshots).</summary>
    public async Task ScreenshotAsync(string? name = null, [CallerMemberName] string test = "")
    {
        var file = Path.Combine(ScreenshotDirectory, Regex.Replace($"{test}{(name is null ? "" : "-" + name)}.png", "[^A-Za-z0-9_.-]", "_"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
    }

    /// <summary>Fails when the page logged a console error or threw.</summary>
    public void AssertNoErrors() => Assert.True(errors.Count == 0, "browser errors:\n" + string.Join('\n', errors));

    /// <summary>The test that opened the page (names its last screenshot).</summary>
    public string TestName { get; init; } = "";

    /// <summary>Saves the page as it was last (evidence when the test failed), then closes it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ScreenshotAsync($"last-{node.NodeId}", TestName);
            lock (network)
            {
                network.AddRange(started.Select(pending => $"{pending.Value:HH:mm:ss.fff} {pending.Key.Method} {pending.Key.Url} still waiting"));
                File.WriteAllLines(Path.Combine(ScreenshotDirectory, Regex.Replace($"{TestName}-network-{node.NodeId}.txt", "[^A-Za-z0-9_.-]", "_")), network);
            }
        }
        catch (PlaywrightException)
        {
            // The page is gone (its node was killed mid-navigation): nothing to save.
        }

        await context.CloseAsync();
    }

    /// <summary>TestResults/console-screenshots next to the test project, or $CONSOLE_SCREENSHOTS.</summary>
    public static string ScreenshotDirectory { get; } = FindDirectory();

    private static string FindDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS");
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConfigCluster.Console.Tests.csproj")))
            dir = dir.Parent;
        var path = configured ?? Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "console-screenshots");
        Directory.CreateDirectory(path);
        return path;
    }
}
