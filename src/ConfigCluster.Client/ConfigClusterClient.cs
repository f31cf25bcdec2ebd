using ConfigCluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConfigCluster.Client;

/// <summary>
/// Talks to a ConfigCluster through any of its nodes. grpc-dotnet's client-side load balancing
/// (round robin over the configured endpoints) skips nodes that are down, and its retry policy
/// re-sends calls that failed with <c>UNAVAILABLE</c>. On top of that this client moves on from a
/// node that does not answer in time, re-sends a write whose outcome was ambiguous with the same
/// request id (the cluster applies it once), and resumes a watch on another node from the last
/// revision it delivered. Thread-safe; create one per application and reuse it.
/// </summary>
public sealed partial class ConfigClusterClient : IDisposable, IAsyncDisposable
{
    private readonly ConfigClusterClientOptions options;
    private readonly GrpcChannel? channel;
    private readonly CallRetrier retrier;
    private readonly ILogger logger;

    /// <summary>Creates a client; no connection is made until the first call.</summary>
    /// <param name="options">Endpoints, token, defaults and timeouts.</param>
    /// <param name="loggerFactory">Where retries and watch resumptions are logged; none by default.</param>
    /// <exception cref="ArgumentException">A setting is invalid (the message names it).</exception>
    public ConfigClusterClient(ConfigClusterClientOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, Login(options, loggerFactory))
    {
    }

    private ConfigClusterClient(ConfigClusterClientOptions options, ILoggerFactory? loggerFactory, MachineTokenSource? login)
        : this(options, loggerFactory, ClientChannel.Create(options, loggerFactory, login), login)
    {
    }

    // The machine login's token source, when the options ask for one.
    private static MachineTokenSource? Login(ConfigClusterClientOptions options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.AppRoleLogin is null && options.JwtLogin is null
            ? null
            : new MachineTokenSource(options, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MachineTokenSource>());
    }

    private readonly MachineTokenSource? login;

    /// <summary>What machine login (<see cref="ConfigClusterClientOptions.AppRoleLogin"/>, <see cref="ConfigClusterClientOptions.JwtLogin"/>) has done so far; null when the client uses a fixed token.</summary>
    public MachineLoginStatus? LoginStatus => login?.Status;

    /// <summary>For tests: a client over any call invoker (no channel, no balancing).</summary>
    internal ConfigClusterClient(ConfigClusterClientOptions options, CallInvoker invoker, ILoggerFactory? loggerFactory = null)
        : this(Validated(options), loggerFactory, (null, invoker))
    {
    }

    private ConfigClusterClient(ConfigClusterClientOptions options, ILoggerFactory? loggerFactory, (GrpcChannel? Channel, CallInvoker Invoker) transport, MachineTokenSource? login = null)
    {
        this.options = options;
        this.login = login;
        channel = transport.Channel;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ConfigClusterClient>();
        retrier = new CallRetrier(options, logger, login);
        Kv = new KV.KVClient(transport.Invoker);
        Watches = new Contracts.V1.Watch.WatchClient(transport.Invoker);
        Cluster = new Cluster.ClusterClient(transport.Invoker);
        EnvironmentsClient = new Environments.EnvironmentsClient(transport.Invoker);
        AclClient = new Contracts.V1.Acl.AclClient(transport.Invoker);
        AdminClient = new Contracts.V1.Admin.AdminClient(transport.Invoker);
        RotationClient = new Contracts.V1.Rotation.RotationClient(transport.Invoker);
        LeasesClient = new Contracts.V1.Leases.LeasesClient(transport.Invoker);
    }

    private static ConfigClusterClientOptions Validated(ConfigClusterClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    /// <summary>The settings this client was created with.</summary>
    public ConfigClusterClientOptions Options => options;

    internal KV.KVClient Kv { get; }

    internal Contracts.V1.Watch.WatchClient Watches { get; }

    internal Cluster.ClusterClient Cluster { get; }

    private Environments.EnvironmentsClient EnvironmentsClient { get; }

    private Contracts.V1.Acl.AclClient AclClient { get; }

    private Contracts.V1.Admin.AdminClient AdminClient { get; }

    /// <summary>The answering node's Raft view (any node; needs no token).</summary>
    /// <exception cref="ConfigUnavailableException">No node answered within the operation timeout.</exception>
    public Task<StatusResponse> StatusAsync(CancellationToken token = default)
        => ReadAsync("Status", deadline => Cluster.StatusAsync(new StatusRequest(), deadline: deadline, cancellationToken: token).ResponseAsync, token);

    /// <inheritdoc />
    public void Dispose()
    {
        channel?.Dispose();
        login?.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal KeyPath Path(string key, string? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return new() { Namespace = options.Namespace, Environment = environment ?? options.Environment, Key = key };
    }

    /// <summary>A read: retried on transient failures.</summary>
    internal Task<T> ReadAsync<T>(string operation, Func<DateTime, Task<T>> attempt, CancellationToken token)
        => retrier.RunAsync(operation, attempt, CallKind.Read, requestId: null, token);

    /// <summary>A write carrying <paramref name="requestId"/> in every attempt: also re-sent when its outcome is unknown.</summary>
    internal Task<T> WriteAsync<T>(string operation, string requestId, Func<DateTime, Task<T>> attempt, CancellationToken token)
        => retrier.RunAsync(operation, attempt, CallKind.DedupedWrite, requestId, token);

    /// <summary>A write without a request id; <paramref name="kind"/> says whether an unknown outcome may be re-sent.</summary>
    internal Task<T> WriteAsync<T>(string operation, CallKind kind, Func<DateTime, Task<T>> attempt, CancellationToken token)
        => retrier.RunAsync(operation, attempt, kind, requestId: null, token);

    /// <summary>A new id per logical write; every retry of that write reuses it.</summary>
    internal static string NewRequestId() => Guid.NewGuid().ToString("N");
}
