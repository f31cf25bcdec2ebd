using System.Collections.Concurrent;
using ConfigCluster.Contracts.Internal.V1;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Application;

/// <summary>
/// gRPC channels to other members' client listeners (one per URL, reused), for the internal
/// Peer service. An https member is trusted through the cluster's CA (the peer TLS roots) when
/// one is configured.
/// </summary>
public sealed class PeerChannels(NodeSettings settings) : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> channels = new(StringComparer.Ordinal);

    /// <summary>A Peer client for the member whose gRPC URL is <paramref name="url"/>.</summary>
    public Peer.PeerClient For(string url) => new(channels.GetOrAdd(url, Create));

    /// <summary>A client of the public Cluster service (status) of the member at <paramref name="url"/>.</summary>
    public Contracts.V1.Cluster.ClusterClient StatusOf(string url) => new(channels.GetOrAdd(url, Create));

    private GrpcChannel Create(string url)
    {
        if (!url.StartsWith("https:", StringComparison.Ordinal) || settings.PeerTls is not { } tls)
            return GrpcChannel.ForAddress(url);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = tls.Validate;
        return GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler });
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var channel in channels.Values)
            channel.Dispose();
    }
}
