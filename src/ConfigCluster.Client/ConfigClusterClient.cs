using ConfigCluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace ConfigCluster.Client;

/// <summary>
/// Talks to a ConfigCluster through any of its nodes. grpc-dotnet's client-side load balancing
/// (round robin over the configured endpoints) skips nodes that are down, and its retry policy
/// re-sends calls that failed with <c>UNAVAILABLE</c>. On top of that this client retries what
/// that policy cannot: a write whose outcome was ambiguous is re-sent with the same request id
/// (the cluster applies it once), and a watch resumes from its last revision on another node.
/// </summary>
public sealed partial class ConfigClusterClient : IDisposable
{
    private readonly ConfigClusterClientOptions options;
    private readonly GrpcChannel channel;

    public ConfigClusterClient(ConfigClusterClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoints.Count == 0)
            throw new ArgumentException("at least one endpoint is required", nameof(options));
        this.options = options;
        var token = options.Token;
        var credentials = token is null
            ? ChannelCredentials.Insecure
            : ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {token}");
                return Task.CompletedTask;
            }));
        channel = GrpcChannel.ForAddress("static:///configcluster", new GrpcChannelOptions
        {
            Credentials = credentials,
            UnsafeUseInsecureChannelCallCredentials = token is not null,
            ServiceProvider = new StaticEndpoints(options.Endpoints),
            ServiceConfig = new ServiceConfig
            {
                LoadBalancingConfigs = { new RoundRobinConfig() },
                MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { MethodName.Default },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 5,
                            InitialBackoff = TimeSpan.FromMilliseconds(50),
                            MaxBackoff = TimeSpan.FromSeconds(1),
                            BackoffMultiplier = 2,
                            RetryableStatusCodes = { StatusCode.Unavailable },
                        },
                    },
                },
            },
        });
        Kv = new KV.KVClient(channel);
        Watches = new Contracts.V1.Watch.WatchClient(channel);
        Cluster = new Cluster.ClusterClient(channel);
    }

    internal KV.KVClient Kv { get; }

    internal Contracts.V1.Watch.WatchClient Watches { get; }

    internal Cluster.ClusterClient Cluster { get; }

    internal ConfigClusterClientOptions Options => options;

    internal KeyPath Path(string key, string? environment = null) => new() { Namespace = options.Namespace, Environment = environment ?? options.Environment, Key = key };

    /// <summary>The answering node's Raft view.</summary>
    public Task<StatusResponse> StatusAsync(CancellationToken token = default)
        => RetryAsync(async deadline => await Cluster.StatusAsync(new StatusRequest(), deadline: deadline, cancellationToken: token).ConfigureAwait(false), isWrite: false, token);

    public void Dispose() => channel.Dispose();
}
