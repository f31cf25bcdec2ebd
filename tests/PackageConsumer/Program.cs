// The package consumer: an ASP.NET Core app that installs ConfigCluster.Client as a package and
// wires it with the README's hosting snippet (pasted below by the test). It checks what an
// application sees, prints "consumer: ok" and exits 0; any failure exits 1 with its reason.
// Settings come from the environment: ConfigCluster__Endpoints__N, ConfigCluster__Token,
// ConfigCluster__CacheFile (as in the README's appsettings example).
using ConfigCluster.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");

// README-SNIPPET

var app = builder.Build();
await app.StartAsync();
try
{
    var client = app.Services.GetRequiredService<ConfigClusterClient>();
    var settings = app.Services.GetRequiredService<IOptionsMonitor<ShopSettings>>();
    var configuration = app.Services.GetRequiredService<IConfiguration>();
    var health = app.Services.GetRequiredService<HealthCheckService>();
    var deadline = TimeSpan.FromSeconds(20);

    // Loaded at start through the configuration provider, bound into the typed options.
    Check(settings.CurrentValue.MaxItems == 10, $"MaxItems at start: {settings.CurrentValue.MaxItems}, expected 10");
    Check(settings.CurrentValue.Greeting == "hello", $"Greeting at start: '{settings.CurrentValue.Greeting}'");
    // The secret, in memory only: shown (to the test) as a fingerprint, never as its value.
    var apiKey = configuration["shop:apiKey"] ?? throw new InvalidOperationException("the secret shop.apiKey did not reach the configuration");
    var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(apiKey)))[..16];

    // A write through the shared client reaches IOptionsMonitor<T> through the watch.
    var changed = new TaskCompletionSource<ShopSettings>(TaskCreationOptions.RunContinuationsAsynchronously);
    using (settings.OnChange(s =>
    {
        if (s.MaxItems == 20)
            changed.TrySetResult(s);
    }))
    {
        await client.PutAsync("shop.maxItems", "20");
        await changed.Task.WaitAsync(deadline);
    }

    // A change that fails validation is not applied: the configuration has it, the options keep 20.
    await client.PutAsync("shop.maxItems", "5000");
    await Until(() => configuration["shop:maxItems"] == "5000", deadline, "the invalid value to reach the configuration");
    Check(settings.CurrentValue.MaxItems == 20, $"MaxItems after an invalid change: {settings.CurrentValue.MaxItems}, expected 20 (kept)");

    // And the next valid change is applied again.
    await client.PutAsync("shop.maxItems", "30");
    await Until(() => settings.CurrentValue.MaxItems == 30, deadline, "MaxItems 30 after a valid change");

    var report = await health.CheckHealthAsync();
    Check(report.Status == HealthStatus.Healthy, $"health: {report.Status} ({string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Description}"))})");
    Console.WriteLine($"consumer: ok (MaxItems {settings.CurrentValue.MaxItems}, health {report.Status}, apiKey sha256 {fingerprint})");
}
catch (Exception e)
{
    Console.WriteLine($"consumer: FAILED: {e.GetType().Name}: {e.Message}");
    Environment.ExitCode = 1;
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
}

static void Check(bool condition, string message)
{
    if (!condition)
        throw new InvalidOperationException(message);
}

static async Task Until(Func<bool> condition, TimeSpan timeout, string what)
{
    using var expiry = new CancellationTokenSource(timeout);
    while (!condition())
    {
        if (expiry.IsCancellationRequested)
            throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
        await Task.Delay(50, CancellationToken.None);
    }
}

/// <summary>The typed settings the README's snippet binds from the keys under "shop.".</summary>
public sealed class ShopSettings
{
    public int MaxItems { get; set; }

    public string Greeting { get; set; } = "";
}
