using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Client;

/// <summary>
/// Builds the one gRPC channel a client uses: every endpoint behind grpc-dotnet's round-robin
/// balancer (a static resolver lists them), UNAVAILABLE retried by the channel's retry policy,
/// HTTP/2 keep-alive pings so a silently dead node is noticed, and the token as call credentials.
/// </summary>
internal static class ClientChannel
{
    // Methods that change nothing, so the channel may re-send them on UNAVAILABLE.
    private static readonly MethodName[] ReadMethods =
    [
        new() { Service = "configcluster.v1.KV", Method = "Get" },
        new() { Service = "configcluster.v1.KV", Method = "List" },
        new() { Service = "configcluster.v1.KV", Method = "History" },
        new() { Service = "configcluster.v1.Environments", Method = "GetEnvironment" },
        new() { Service = "configcluster.v1.Environments", Method = "ListEffective" },
        new() { Service = "configcluster.v1.Environments", Method = "Diff" },
        new() { Service = "configcluster.v1.Cluster", Method = "Status" },
    ];

    public static (GrpcChannel Channel, CallInvoker Invoker) Create(ConfigClusterClientOptions options, ILoggerFactory? loggerFactory, MachineTokenSource? login = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        CaTrust.Apply(handler, options.CaCertificateFile);
        options.ConfigureHttpHandler?.Invoke(handler);
        var channel = GrpcChannel.ForAddress("static:///configcluster", new GrpcChannelOptions
        {
            Credentials = Credentials(options, login),
            UnsafeUseInsecureChannelCallCredentials = (!string.IsNullOrEmpty(options.Token) || login is not null) && !options.UsesTls,
            HttpHandler = handler,
            ServiceProvider = new StaticEndpoints(options.Endpoints),
            LoggerFactory = loggerFactory,
            ThrowOperationCanceledOnCancellation = true,
            InitialReconnectBackoff = options.RetryBackoff,
            MaxReconnectBackoff = options.MaxReconnectBackoff,
            ServiceConfig = new ServiceConfig
            {
                LoadBalancingConfigs = { new RoundRobinConfig() },
                MethodConfigs = { ReadRetry(options) },
            },
        });
        return (channel, channel.CreateCallInvoker());
    }

    // Reads only: a write re-sent here after its first attempt reached a node would end with the
    // resend's "could not connect", which the client reports as not applied although it may have
    // been. Writes are re-sent by CallRetrier, with their request id and an honest "ambiguous".
    private static MethodConfig ReadRetry(ConfigClusterClientOptions options)
    {
        var config = new MethodConfig
        {
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = 3,
                InitialBackoff = options.RetryBackoff,
                MaxBackoff = options.MaxRetryBackoff,
                BackoffMultiplier = 2,
                RetryableStatusCodes = { StatusCode.Unavailable },
            },
        };
        foreach (var method in ReadMethods)
            config.Names.Add(method);
        return config;
    }

    private static ChannelCredentials Credentials(ConfigClusterClientOptions options, MachineTokenSource? login)
    {
        var transport = options.UsesTls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        if (login is not null)
        {
            // Machine login: each call carries the current token (logging in first when there is none).
            return ChannelCredentials.Create(transport, CallCredentials.FromInterceptor(async (context, metadata) =>
                metadata.Add("authorization", "Bearer " + await login.GetTokenAsync(context.CancellationToken).ConfigureAwait(false))));
        }

        if (options.Token is not { } token)
            return transport;
        var header = $"Bearer {token}";
        return ChannelCredentials.Create(transport, CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", header);
            return Task.CompletedTask;
        }));
    }
}

/// <summary>
/// The minimal service provider grpc-dotnet needs to find the <see cref="StaticResolverFactory"/>
/// that lists the configured nodes for its client-side load balancer.
/// </summary>
internal sealed class StaticEndpoints(IEnumerable<Uri> endpoints) : IServiceProvider
{
    private readonly StaticResolverFactory resolver = Resolver([.. endpoints.Select(static e => new BalancerAddress(e.Host, e.Port))]);

    private static StaticResolverFactory Resolver(BalancerAddress[] addresses) => new(_ => addresses);

    public object? GetService(Type serviceType)
        => serviceType == typeof(ResolverFactory) ? resolver
            : serviceType == typeof(IEnumerable<ResolverFactory>) ? new ResolverFactory[] { resolver }
            : null;
}
