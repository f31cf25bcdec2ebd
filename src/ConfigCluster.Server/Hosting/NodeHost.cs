using System.Net;
using ConfigCluster.Consensus;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Grpc;
using ConfigCluster.Server.Http;
using ConfigCluster.Server.Observability;
using OpenTelemetry.Metrics;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Server.Seed;
using ConfigCluster.Server.Watch;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ConfigCluster.Server.Hosting;

/// <summary>Builds the node's web host: Kestrel listeners, services, routes.</summary>
internal static class NodeHost
{
    public static WebApplication Build(NodeSettings settings, IReadOnlyList<SeedEntry>? seed)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (settings.JsonLogs)
        {
            builder.Logging.AddConsole(options => options.FormatterName = JsonLineLogFormatter.FormatterName)
                .AddConsoleFormatter<JsonLineLogFormatter, JsonLineLogFormatterOptions>(options => options.NodeId = settings.NodeId);
        }
        else
        {
            builder.Logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.UseUtcTimestamp = true;
            });
        }

        builder.Logging.SetMinimumLevel(LogLevel.Information);
        // DotNext logs full stack traces every election timeout while a peer is down: keep it quiet by default.
        builder.Logging.AddFilter("DotNext", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.MaxValueBytes + (1L << 20);
            if (settings.HttpUrl == settings.GrpcUrl)
            {
                Listen(kestrel, settings.HttpUrl, HttpProtocols.Http1AndHttp2, settings);
            }
            else
            {
                Listen(kestrel, settings.HttpUrl, HttpProtocols.Http1, settings);
                Listen(kestrel, settings.GrpcUrl, HttpProtocols.Http2, settings);
            }
        });

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(provider => new RaftNode(
            new ConsensusOptions
            {
                NodeId = settings.NodeId,
                RaftEndPoint = settings.RaftEndPoint,
                Members = settings.Members,
                Join = settings.Join,
                DataDirectory = settings.DataDirectory,
                SnapshotInterval = settings.SnapshotInterval,
                PeerTls = settings.PeerTls,
                Durability = settings.Durability,
                LowerElectionTimeoutMs = (int)settings.ElectionTimeout.TotalMilliseconds,
                UpperElectionTimeoutMs = 3 * (int)settings.ElectionTimeout.TotalMilliseconds / 2,
                Store = new ConfigCluster.Storage.StoreOptions { LogMemoryBytes = settings.StoreMemoryBytes },
                Metadata = new Dictionary<string, string>
                {
                    [MemberMetadataKeys.HttpUrl] = settings.HttpUrl.ToString().TrimEnd('/'),
                    [MemberMetadataKeys.GrpcUrl] = settings.GrpcUrl.ToString().TrimEnd('/'),
                },
            },
            provider.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(provider => new ChangeFeed(provider.GetRequiredService<RaftNode>().Store));
        builder.Services.AddSingleton(provider => new WatchReader(provider.GetRequiredService<ChangeFeed>(), provider.GetRequiredService<RaftNode>().Store));
        builder.Services.AddSingleton<PeerChannels>();
        builder.Services.AddSingleton<WriteCoordinator>();
        builder.Services.AddSingleton(provider =>
        {
            var (masterKey, sealedReason, generated) = MasterKeySource.Load(settings, Environment.GetEnvironmentVariable);
            var logger = provider.GetRequiredService<ILogger<SecretKeyring>>();
            if (generated)
                DevLog.GeneratedMasterKey(logger, Path.Combine(settings.DataDirectory, MasterKeySource.DevKeyFileName));
            return new SecretKeyring(masterKey, sealedReason, provider.GetRequiredService<RaftNode>().Store, logger);
        });
        builder.Services.AddSingleton<ConfigService>();
        builder.Services.AddSingleton<KeyRotation>();
        builder.Services.AddSingleton<ConfigCluster.Server.Operations.SnapshotBackup>();
        builder.Services.AddSingleton<ConfigCluster.Server.Operations.LeadershipTransfer>();
        builder.Services.AddSingleton<ConfigCluster.Server.Operations.HistoryRetention>();
        builder.Services.AddSingleton<ConfigCluster.Server.Operations.Membership>();
        builder.Services.AddHostedService<ConfigCluster.Server.Operations.CompactionService>();
        builder.Services.AddSingleton<EnvironmentService>();
        builder.Services.AddSingleton(provider => new TokenAuthenticator(provider.GetRequiredService<RaftNode>().Store, provider.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(provider => new PolicyEvaluator(provider.GetRequiredService<RaftNode>().Store));
        builder.Services.AddSingleton(provider => new PeerAuthenticator(provider.GetRequiredService<RaftNode>().Store));
        builder.Services.AddSingleton(_ => new AuditLog(settings.DataDirectory));
        builder.Services.AddSingleton<AccessGate>();
        builder.Services.AddSingleton<AclService>();
        builder.Services.AddHostedService<BootstrapService>();
        builder.Services.AddHostedService<RaftHostedService>();
        if (seed is not null)
            builder.Services.AddHostedService(provider => ActivatorUtilities.CreateInstance<SeedImportService>(provider, seed));
        builder.Services.AddSingleton<NodeGauges>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMeters.MeterName, ConsensusMeters.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "DotNext.*")
            .AddPrometheusExporter());
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = settings.MaxValueBytes + (1 << 20);
            options.Interceptors.Add<GrpcAccessInterceptor>();
        });
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));

        var app = builder.Build();
        app.MapGrpcService<KvGrpcService>();
        app.MapGrpcService<ClusterGrpcService>();
        app.MapGrpcService<PeerGrpcService>();
        app.MapGrpcService<WatchGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcService<EnvironmentsGrpcService>();
        app.MapGrpcService<AclGrpcService>();
        app.UseWebSockets();
        app.UseMiddleware<AccessMiddleware>();
        app.MapAclEndpoints();
        app.MapWatchEndpoints();
        app.MapConfigEndpoints();
        app.MapClusterEndpoints();
        app.MapAdminEndpoints();
        app.MapRetentionEndpoints();
        app.MapEnvironmentEndpoints();
        app.Services.GetRequiredService<NodeGauges>();
        app.Services.GetRequiredService<RaftNode>().LeaderChanged += _ => ServerMeters.LeaderChanges.Add(1);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static void Listen(KestrelServerOptions kestrel, Uri url, HttpProtocols protocols, NodeSettings settings)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (url.Scheme == "https")
                listen.UseHttps(settings.ClientCertificate!);
        }

        if (IPAddress.TryParse(url.Host, out var address))
            kestrel.Listen(address, url.Port, Configure);
        else if (url.IsLoopback)
            kestrel.ListenLocalhost(url.Port, Configure);
        else
            kestrel.ListenAnyIP(url.Port, Configure);
    }
}
