// The ConfigCluster demo microservice: its settings and one secret come from ConfigCluster through
// the client's configuration provider (keys under "demo."), bound to DemoSettings and followed
// through IOptionsMonitor; GET /settings shows what it runs with, GET /health its ConfigCluster
// health. deploy/README.md walks through it; tests/ConfigCluster.Server.Tests/Demo runs it.
using System.Text.Json;
using ConfigCluster.Client;
using ConfigCluster.Client.Configuration;
using ConfigCluster.DemoService;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
var cluster = builder.Configuration.GetSection("ConfigCluster");

// The provider exists before dependency injection does, so it gets a console logger of its own.
var providerLogs = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).AddConfiguration(builder.Configuration.GetSection("Logging")));
builder.Configuration.AddConfigCluster(cluster, o =>
{
    o.Prefix = DemoSettings.KeyPrefix;
    o.LoggerFactory = providerLogs;
});
builder.Services.AddConfigClusterClient(cluster);
builder.Services.AddConfigClusterOptions<DemoSettings>(DemoSettings.KeyPrefix)
    .Validate(static s => DemoSettings.Problem(s) is null, "Greeting must be 1-200 characters and MaxItems between 1 and 1000")
    .ValidateOnStart();
builder.Services.AddHealthChecks().AddConfigClusterHealthCheck(configure: o =>
    o.WatchDownThreshold = cluster.GetValue("WatchDownThreshold", TimeSpan.FromSeconds(30)));

var app = builder.Build();
var settings = app.Services.GetRequiredService<IOptionsMonitor<DemoSettings>>();
var provider = ((IConfigurationRoot)app.Configuration).Providers.OfType<ConfigClusterConfigurationProvider>().Single();
var changes = 0L;
var logger = app.Logger;
using var onChange = settings.OnChange(s =>
{
    var count = Interlocked.Increment(ref changes);
    DemoLog.SettingsChanged(logger, count, s.MaxItems, s.Greeting.Length, s.ApiKey is null ? "absent" : "present");
});

app.MapGet("/settings", () => SettingsReport.From(settings.CurrentValue, provider, Interlocked.Read(ref changes)));
app.MapGet("/", () => Results.Text(settings.CurrentValue.Greeting));
// The shared client in use: which node answered and which leader it knows (503 while no node answers).
app.MapGet("/cluster", static async (ConfigClusterClient client, CancellationToken token) =>
{
    try
    {
        var status = await client.StatusAsync(token);
        return Results.Ok(new { answeredBy = status.NodeId, leader = status.LeaderId, status.Term, status.Revision });
    }
    catch (ConfigUnavailableException)
    {
        return Results.Problem("no ConfigCluster node answered", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
});
app.MapHealthChecks("/health", new HealthCheckOptions
{
    ResponseWriter = static (context, report) =>
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(static e => e.Key, static e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    },
    // Degraded still serves (it runs on the last-known-good settings): 200, as ASP.NET Core's default.
    ResultStatusCodes = { [HealthStatus.Healthy] = 200, [HealthStatus.Degraded] = 200, [HealthStatus.Unhealthy] = 503 },
});

await app.RunAsync();
providerLogs.Dispose();
