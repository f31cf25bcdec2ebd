using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Watch;
using Grpc.Core;

namespace ConfigCluster.Server.Grpc;

/// <summary>
/// Serves <c>Watch.WatchMany</c> (proto/configcluster/v1/watch.proto): many watches on one
/// bidirectional stream, each fed by the same <see cref="WatchReader"/> as a <c>Watch</c> stream
/// and admitted by the same checks, so thousands of idle watches cost one HTTP/2 stream and one
/// gRPC call instead of one each. One instance serves every stream (<see cref="WatchManyStream"/>
/// holds a stream's state).
/// </summary>
public sealed class WatchManyService(WatchReader watches, ConfigService config, Acl.AccessGate gate, Limits.StreamLimits limits, ILogger<WatchManyService> logger)
{
    /// <summary>
    /// Watches one stream may hold open at a time; a create beyond it is answered RESOURCE_EXHAUSTED
    /// (documented in watch.proto). Each watch also counts against the token's watch limit.
    /// </summary>
    public const int MaxWatchesPerStream = 10_000;

    /// <summary>
    /// Responses queued for the stream's one writer before the watches that produce them wait: a
    /// watch that waits stops reading its subscription, whose own bounded buffer then ends it as
    /// too slow (RESOURCE_EXHAUSTED with its resume revision), as a slow Watch stream is.
    /// </summary>
    internal const int OutboxCapacity = 256;

    internal WatchReader Watches => watches;

    internal ConfigService Config => config;

    internal Acl.AccessGate Gate => gate;

    internal Limits.StreamLimits Limits => limits;

    internal ILogger Logger => logger;

    /// <summary>Serves one WatchMany stream until the client closes its side or the call ends.</summary>
    public Task RunAsync(IAsyncStreamReader<WatchManyRequest> requests, IServerStreamWriter<WatchManyResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(context);
        return new WatchManyStream(this, context).RunAsync(requests, responses);
    }
}
