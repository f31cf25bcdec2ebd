using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.LoadGen;

/// <summary>etcd through its own gRPC API (the stubs shipped in dotnet-etcd), over the same channels.</summary>
internal sealed class EtcdTarget(IReadOnlyList<string> endpoints, int connections) : ITarget
{
    private readonly GrpcChannel[] channels = Channels.Create(endpoints, connections);
    private readonly GrpcChannel[] statusChannels = Channels.Create(endpoints, endpoints.Count);

    public string Name => "etcd";

    private KV.KVClient Kv(int connection) => new(channels[connection % channels.Length]);

    public Task PutAsync(int connection, string key, string value, CancellationToken token)
        => Kv(connection).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, cancellationToken: token).ResponseAsync;

    public Task GetAsync(int connection, string key, bool serializable, CancellationToken token)
        => Kv(connection).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key), Serializable = serializable }, cancellationToken: token).ResponseAsync;

    public async Task WatchAsync(int connection, string key, Action<string> onEvent, TaskCompletionSource ready, CancellationToken token, int progressIntervalMs = 200)
    {
        using var call = new Etcdserverpb.Watch.WatchClient(channels[connection % channels.Length]).Watch(cancellationToken: token);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(key) } }, token);
        await foreach (var response in call.ResponseStream.ReadAllAsync(token))
        {
            if (response.Created)
                ready.TrySetResult();
            foreach (var change in response.Events)
                onEvent(change.Kv.Value.ToStringUtf8());
        }
    }

    public async Task<long> TermAsync(CancellationToken token)
    {
        var term = -1L;
        foreach (var channel in statusChannels)
        {
            try
            {
                var status = await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: token);
                term = Math.Max(term, (long)status.RaftTerm);
            }
            catch (RpcException)
            {
                // Down or unreachable.
            }
        }

        return term;
    }

    public async Task<int> LeaderIndexAsync(CancellationToken token)
    {
        for (var i = 0; i < endpoints.Count; i++)
        {
            try
            {
                var status = await new Maintenance.MaintenanceClient(statusChannels[i]).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: token);
                if (status.Leader == status.Header.MemberId)
                    return i;
            }
            catch (RpcException)
            {
                // Down or unreachable.
            }
        }

        return -1;
    }

    public void Dispose()
    {
        foreach (var channel in channels.Concat(statusChannels))
            channel.Dispose();
    }
}
