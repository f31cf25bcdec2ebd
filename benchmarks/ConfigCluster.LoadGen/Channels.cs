using Grpc.Net.Client;

namespace ConfigCluster.LoadGen;

/// <summary>The channel settings both targets use: plain HTTP/2, a few connections, same limits.</summary>
internal static class Channels
{
    public static GrpcChannel[] Create(IReadOnlyList<string> endpoints, int connections)
        => Enumerable.Range(0, connections).Select(i => GrpcChannel.ForAddress(endpoints[i % endpoints.Count], new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) },
            MaxReceiveMessageSize = 16 << 20,
        })).ToArray();
}
