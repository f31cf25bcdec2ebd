using ConfigCluster.Server;
using ConfigCluster.Server.Hosting;
using Microsoft.Extensions.Options;

StartupTimeline.Begin();
if (NodeConfiguration.WantsHelp(args))
{
    Console.Write(NodeOptionCatalog.HelpText());
    return 0;
}

if (args is ["restore", .. var restoreArgs])
    return await RestoreCommand.RunAsync(restoreArgs, CancellationToken.None);

if (!NodeConfiguration.TryBuild(args, Environment.GetEnvironmentVariables(), Environment.CurrentDirectory, out var configuration, out var error))
    return Fail(error);

WebApplication app;
NodeSettings settings;
var mainEnteredMs = StartupTimeline.SinceProcessStartMs;
var phase = System.Diagnostics.Stopwatch.StartNew();
try
{
    // Resolving the settings validates the bound options, then creates the data directory and
    // loads certificates; the seed file is read too. Every problem stops the node here, before
    // it listens or joins. (Building the host already resolves them: Kestrel's listeners.)
    app = NodeHost.Build(configuration);
    settings = app.Services.GetRequiredService<NodeSettings>();
    app.Services.GetService<IReadOnlyList<ConfigCluster.Server.Seed.SeedEntry>>();
}
catch (OptionsValidationException e)
{
    return Fail(e.Failures.First());
}
catch (NodeStartupException e)
{
    return Fail(e.Message);
}

if (settings.Dev)
    Console.WriteLine("configcluster: DEVELOPMENT MODE — one node, no TLS; do not use in production.");

NodeHost.MapRoutes(app, settings);
StartupTimeline.MainEntered(app.Logger, mainEnteredMs);
StartupTimeline.HostBuilt(app.Logger, phase.ElapsedMilliseconds, StartupTimeline.SinceProcessStartMs);
phase.Restart();
try
{
    await app.StartAsync();
}
catch (IOException e)
{
    // Typically a listener port already in use.
    Console.Error.WriteLine($"configcluster: cannot start listeners: {e.Message.ReplaceLineEndings(" ")}");
    return 3;
}
catch (System.Net.Sockets.SocketException e)
{
    Console.Error.WriteLine($"configcluster: --raft {settings.RaftEndPoint}: {e.Message}");
    return 3;
}

StartupTimeline.Listening(app.Logger, phase.ElapsedMilliseconds, StartupTimeline.SinceProcessStartMs);
var ready = $"configcluster: node {settings.NodeId} ready: http {settings.HttpUrl} grpc {settings.GrpcUrl} raft {settings.RaftEndPoint}";
if (settings.JsonLogs)
    app.Logger.LogInformation("{Ready}", ready);
else
    Console.WriteLine(ready);
await app.WaitForShutdownAsync();
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine($"configcluster: {message}");
    return 2;
}
