using ConfigCluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.LoadGen;

internal sealed class ConfigClusterTarget(IReadOnlyList<string> endpoints, int connections, string? token) : ITarget
{
    private readonly GrpcChannel[] channels = Channels.Create(endpoints, connections);
    private readonly GrpcChannel[] statusChannels = Channels.Create(endpoints, endpoints.Count);
    private readonly Metadata headers = token is null ? [] : new Metadata { { "authorization", $"Bearer {token}" } };

    public string Name => "configcluster";

    private KV.KVClient Kv(int connection) => new(channels[connection % channels.Length]);

    public Task PutAsync(int connection, string key, string value, CancellationToken token)
        => Kv(connection).PutAsync(new PutRequest { Path = new KeyPath { Key = key }, ValueJson = value }, headers, cancellationToken: token).ResponseAsync;

    public Task GetAsync(int connection, string key, bool serializable, CancellationToken token)
        => Kv(connection).GetAsync(new GetRequest { Path = new KeyPath { Key = key }, Consistency = serializable ? Consistency.Serializable : Consistency.Linearizable }, headers, cancellationToken: token).ResponseAsync;

    public async Task WatchAsync(int connection, string key, Action<string> onEvent, TaskCompletionSource ready, CancellationToken token, int progressIntervalMs = 200)
    {
        using var call = new Contracts.V1.Watch.WatchClient(channels[connection % channels.Length]).Watch(new WatchRequest { Key = key, ProgressIntervalMs = progressIntervalMs }, headers, cancellationToken: token);
        await foreach (var response in call.ResponseStream.ReadAllAsync(token))
        {
            ready.TrySetResult(); // the first (progress) message proves the stream is open
            foreach (var change in response.Events)
                onEvent(change.ValueJson);
        }
    }

    /// <summary>
    /// Opens one WatchMany stream on connection <paramref name="connection"/> carrying a watch on
    /// <paramref name="key"/> per entry of <paramref name="ready"/> (watch id = its index), each
    /// completed at its created answer; reads until <paramref name="token"/> is cancelled.
    /// </summary>
    public async Task WatchManyAsync(int connection, string key, IReadOnlyList<TaskCompletionSource> ready, CancellationToken token, int progressIntervalMs)
    {
        using var call = new Contracts.V1.Watch.WatchClient(channels[connection % channels.Length]).WatchMany(headers, cancellationToken: token);
        var reading = Task.Run(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(token))
            {
                if (response.Created is not null)
                    ready[(int)response.WatchId].TrySetResult();
                else if (response.Error is { } error)
                    ready[(int)response.WatchId].TrySetException(new InvalidOperationException($"watch {response.WatchId}: {(StatusCode)error.Code} {error.Message}"));
            }
        }, token);
        for (var id = 0; id < ready.Count; id++)
        {
            var create = new WatchCreateRequest { WatchId = id, Watch = new WatchRequest { Key = key, ProgressIntervalMs = progressIntervalMs } };
            await call.RequestStream.WriteAsync(new WatchManyRequest { Create = create }, token);
        }

        await reading;
    }

    public async Task<long> TermAsync(CancellationToken token)
    {
        var term = -1L;
        foreach (var channel in statusChannels)
        {
            try
            {
                var status = await new Cluster.ClusterClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: token);
                term = Math.Max(term, status.Term);
            }
            catch (RpcException)
            {
                // Down or unreachable: the others tell.
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
                var status = await new Cluster.ClusterClient(statusChannels[i]).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: token);
                if (status.Role == "leader")
                    return i;
            }
            catch (RpcException)
            {
                // Down or unreachable: not the leader we can kill.
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
