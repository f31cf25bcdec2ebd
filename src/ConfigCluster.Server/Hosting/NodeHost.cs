using System.Net;
using ConfigCluster.Consensus;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Auth;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Faces.Vault;
using ConfigCluster.Server.Grpc;
using ConfigCluster.Server.Health;
using ConfigCluster.Server.Http;
using ConfigCluster.Server.Limits;
using ConfigCluster.Server.Observability;
using ConfigCluster.Server.Secrets;
using ConfigCluster.Server.Seed;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace ConfigCluster.Server.Hosting;

/// <summary>Builds the node's web host: options, services, Kestrel listeners; then its routes.</summary>
internal static class NodeHost
{
    /// <summary>
    /// Registers everything; resolves nothing, so an invalid option surfaces when
    /// <see cref="NodeSettings"/> is first resolved (see Program), before anything starts.
    /// </summary>
    public static WebApplication Build(IConfiguration configuration)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddOptions<NodeOptions>().Bind(configuration).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        builder.Services.AddSingleton(static provider => NodeStartup.Prepare(provider.GetRequiredService<IOptions<NodeOptions>>()));
        NodeLogging.Configure(builder.Logging, builder.Configuration, configuration);

        builder.Services.AddOptions<KestrelServerOptions>().Configure<NodeSettings>(static (kestrel, settings) =>
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

        builder.Services.AddMachineLogin();
        builder.Services.AddConsensus();
        builder.Services.AddSingleton<ChangeFeed>();
        builder.Services.AddSingleton<WatchReader>();
        // One instance for every call (gRPC uses a registered service as it is): a watch stream then
        // holds no service object and no request-scope table of resolved services for its life.
        builder.Services.AddSingleton<WatchManyService>();
        builder.Services.AddSingleton<WatchGrpcService>();
        builder.Services.AddSingleton<PeerChannels>();
        builder.Services.AddSingleton<WriteCoordinator>();
        builder.Services.AddSingleton(static provider =>
        {
            var settings = provider.GetRequiredService<NodeSettings>();
            var (masterKey, sealedReason, generated) = MasterKeySource.Load(settings, Environment.GetEnvironmentVariable);
            var logger = provider.GetRequiredService<ILogger<SecretKeyring>>();
            if (generated)
                DevLog.GeneratedMasterKey(logger, Path.Combine(settings.DataDirectory, MasterKeySource.DevKeyFileName));
            return new SecretKeyring(masterKey, sealedReason, provider.GetRequiredService<IVersionedStore>(), logger);
        });
        builder.Services.AddSingleton(provider => provider.GetRequiredService<RaftNode>().Store);
        builder.Services.AddSingleton<ICommandSubmitter, ConsensusSubmitter>();
        builder.Services.AddSingleton<IReadBarrier>(static provider =>
        {
            if (RaftReadBarrier.SkipForTests)
                DevLog.ReadBarrierSkipped(provider.GetRequiredService<ILogger<RaftReadBarrier>>());
            return ActivatorUtilities.CreateInstance<RaftReadBarrier>(provider);
        });
        builder.Services.AddSingleton<WritePipeline>();
        builder.Services.AddSingleton<SecretSealer>();
        builder.Services.AddSingleton<WriteBuilder>();
        builder.Services.AddSingleton<ItemAccess>();
        builder.Services.AddSingleton<ConfigService>();
        builder.Services.AddSingleton<KeyRotation>();
        builder.Services.AddSingleton<Unsealing>();
        builder.Services.AddSingleton<MasterKeyRotation>();
        builder.Services.AddSingleton<Operations.SnapshotBackup>();
        builder.Services.AddSingleton<Operations.LeadershipTransfer>();
        builder.Services.AddSingleton<Operations.HistoryRetention>();
        builder.Services.AddSingleton<Operations.Membership>();
        builder.Services.AddHostedService<Operations.CompactionService>();
        builder.Services.AddHostedService<Operations.ScheduledBackupService>();
        builder.Services.AddHostedService<Operations.RefusedSnapshotRescue>();
        builder.Services.AddHostedService<DurableReportSender>();
        builder.Services.AddSingleton<EnvironmentService>();
        builder.Services.AddSingleton<TokenAuthenticator>();
        builder.Services.AddSingleton<PolicyEvaluator>();
        builder.Services.AddSingleton(static provider => ClusterSecret.Load(provider.GetRequiredService<NodeSettings>().DataDirectory, Environment.GetEnvironmentVariable));
        builder.Services.AddSingleton<PeerAuthenticator>();
        builder.Services.AddOptions<AuditOptions>().Bind(builder.Configuration.GetSection(AuditOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        builder.Services.AddSingleton<AuditStreamSink>();
        builder.Services.AddSingleton(static provider => new AuditLog(provider.GetRequiredService<NodeSettings>().DataDirectory, provider.GetRequiredService<ClusterSecret>(),
            provider.GetRequiredService<IOptions<AuditOptions>>(), provider.GetRequiredService<ILogger<AuditLog>>(), provider.GetRequiredService<AuditStreamSink>()));
        builder.Services.AddSingleton<AuditVerification>();
        builder.Services.AddHostedService<AuditCheckpointService>();
        builder.Services.AddSingleton<AccessGate>();
        builder.Services.AddRequestLimits();
        builder.Services.AddSingleton<AclService>();
        builder.Services.AddSingleton<Faces.Vault.VaultMounts>();
        builder.Services.AddSingleton<Faces.Vault.VaultKv>();
        builder.Services.AddHostedService<BootstrapService>();
        builder.Services.AddHostedService<RaftHostedService>();
        if (!string.IsNullOrEmpty(configuration["seed-file"]))
        {
            builder.Services.AddSingleton(static provider => NodeStartup.ReadSeed(provider.GetRequiredService<NodeSettings>()));
            builder.Services.AddHostedService(static provider => ActivatorUtilities.CreateInstance<SeedImportService>(provider, provider.GetRequiredService<IReadOnlyList<SeedEntry>>()));
        }

        builder.Services.AddSingleton<NodeGauges>();
        builder.Services.AddSingleton<Faces.Consul.ConsulKv>();
        builder.Services.AddSingleton<Faces.Transit.TransitKeyring>();
        builder.Services.AddSingleton<IProposalPreparer, Faces.Transit.TransitMaterialPreparer>();
        // Rotation: policies, on-demand rotation, the leader's scheduler and hooks.
        builder.Services.AddSingleton<Rotation.RotationService>();
        builder.Services.AddSingleton<Rotation.RotationHooks>();
        builder.Services.AddSingleton<IProposalPreparer, Rotation.RotationValuePreparer>();
        builder.Services.AddHostedService<Rotation.RotationScheduler>();
        builder.Services.AddHostedService<CommandFormatSampler>();
        // The database secrets engine and its leases.
        builder.Services.AddSingleton<Faces.Database.PostgresRunner>();
        builder.Services.AddSingleton<Faces.Database.DatabaseEngine>();
        builder.Services.AddSingleton<Rotation.IRotationDatabase>(static provider => provider.GetRequiredService<Faces.Database.DatabaseEngine>());
        builder.Services.AddHostedService<Faces.Database.LeaseExpiryService>();
        builder.Services.AddHostedService<Faces.Database.StaticRoleScheduler>(); // Static roles, root rotation
        builder.Services.AddOpenTelemetry().WithMetrics(static metrics => metrics
            .AddMeter(ServerMeters.MeterName, ConsensusMeters.MeterName, Storage.StoreMeters.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "DotNext.*")
            .AddPrometheusExporter());
        builder.Services.AddGrpc(static options =>
        {
            options.Interceptors.Add<GrpcAccessInterceptor>();
            // No catch-all "unimplemented" endpoints: an unknown method falls through to the access
            // middleware like any unrouted request (admin only; an admin then gets 404 = Unimplemented).
            options.IgnoreUnknownServices = true;
        });
        builder.Services.AddOptions<GrpcServiceOptions>().Configure<NodeSettings>(static (options, settings) => options.MaxReceiveMessageSize = settings.MaxValueBytes + (1 << 20));
        builder.Services.AddGrpcReflection();
        builder.Services.AddNodeHealthChecks();
        builder.Services.Configure<HostOptions>(static options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
        return builder.Build();
    }

    /// <summary>Maps the node's gRPC services and HTTP routes.</summary>
    public static void MapRoutes(WebApplication app, NodeSettings settings)
    {
        app.MapGrpcService<KvGrpcService>();
        app.MapGrpcService<ClusterGrpcService>();
        // Peer calls and health probes are never rate limited.
        app.MapGrpcService<PeerGrpcService>().DisableRateLimiting();
        app.MapGrpcService<WatchGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcService<EnvironmentsGrpcService>();
        app.MapGrpcService<AclGrpcService>();
        app.MapGrpcService<RotationGrpcService>();
        app.MapGrpcService<LeasesGrpcService>();
        app.MapGrpcHealthChecksService().DisableRateLimiting();
        if (settings.GrpcReflection)
            app.MapGrpcReflectionService();
        // Routing first: the access middleware reads the matched endpoint's declaration.
        app.UseRouting();
        app.UseWebSockets();
        // Limits before the gate: a refused request costs no audit write.
        app.UseRateLimiter();
        app.UseMiddleware<AccessMiddleware>();
        app.MapAclEndpoints();
        app.MapWatchEndpoints();
        app.MapConfigEndpoints();
        app.MapClusterEndpoints();
        app.MapNodeHealthChecks();
        app.MapAdminEndpoints();
        app.MapRetentionEndpoints();
        app.MapSealEndpoints();
        app.MapMasterKeyEndpoints();
        app.MapEnvironmentEndpoints();
        Faces.Consul.ConsulEndpoints.MapConsulEndpoints(app);
        Faces.Transit.TransitEndpoints.MapTransitEndpoints(app);
        app.MapVaultSysEndpoints();
        Faces.Database.DatabaseEndpoints.MapDatabaseEndpoints(app);
        Faces.Database.LeaseEndpoints.MapLeaseEndpoints(app);
        Faces.Database.StaticRoleEndpoints.MapStaticRoleEndpoints(app);
        app.MapVaultTokenEndpoints();
        app.MapMachineLoginEndpoints();
        app.MapVaultKvEndpoints();
        app.MapRotationEndpoints();
        app.MapCapabilityEndpoints();
        app.MapConsoleEndpoints();
        app.Services.GetRequiredService<NodeGauges>();
        CertificateReloadLog.Attach(settings, app.Services.GetRequiredService<ILogger<CertificateReloadLog>>());
        app.Services.GetRequiredService<RaftNode>().LeaderChanged += _ => ServerMeters.LeaderChanges.Add(1);
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        if (settings.MetricsOpen)
            metrics.AllowAnonymousAccess();
        else
            metrics.RequireAdmin("metrics");
        GrpcAccessTable.ReportUndeclared(app.Logger);
    }

    private static void Listen(KestrelServerOptions kestrel, Uri url, HttpProtocols protocols, NodeSettings settings)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (url.Scheme == "https" && settings.ClientCertificate is { } certificate)
            {
                // Chosen at each handshake, so a certificate replaced on disk serves new connections at once.
                listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, _) => certificate.Current,
                });
            }
        }

        if (IPAddress.TryParse(url.Host, out var address))
            kestrel.Listen(address, url.Port, Configure);
        else if (url.IsLoopback)
            kestrel.ListenLocalhost(url.Port, Configure);
        else
            kestrel.ListenAnyIP(url.Port, Configure);
    }
}
