using ConfigCluster.Server;
using ConfigCluster.Server.Hosting;
using ConfigCluster.Server.Seed;

var appSettings = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .Build();

if (!NodeSettingsParser.TryParse(args, Environment.GetEnvironmentVariable, appSettings, out var settings, out var error))
{
    Console.Error.WriteLine($"configcluster: {error}");
    return 2;
}

IReadOnlyList<SeedEntry>? seed = null;
if (settings.SeedFile is { } seedFile)
{
    try
    {
        seed = SeedFileReader.Read(seedFile);
    }
    catch (Exception e) when (e is InvalidDataException or IOException)
    {
        Console.Error.WriteLine($"configcluster: --seed-file: {e.Message.ReplaceLineEndings(" ")}");
        return 2;
    }
}

if (settings.Dev)
    Console.WriteLine("configcluster: DEVELOPMENT MODE — one node, no TLS; do not use in production.");

var app = NodeHost.Build(settings, seed);
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

var ready = $"configcluster: node {settings.NodeId} ready: http {settings.HttpUrl} grpc {settings.GrpcUrl} raft {settings.RaftEndPoint}";
if (settings.JsonLogs)
    app.Logger.LogInformation("{Ready}", ready);
else
    Console.WriteLine(ready);
await app.WaitForShutdownAsync();
return 0;
