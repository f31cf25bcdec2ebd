using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests;

/// <summary>Live reload: gRPC watch, WebSocket watch and long-poll, all fed by each node's change feed.</summary>
public sealed class WatchTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ThousandIdleWatchers_OnOneNode_CostBoundedMemory_AndEachGetsTheNextChange()
    {
        const int watchers = 1000;
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        await node.Http.MustPutAsync("idle.key", 0);
        // Several HTTP/2 connections: Kestrel allows 100 concurrent streams on one.
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(node.GrpcUrl, new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {NodeProcess.AdminToken}");
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        var client = new Watch.WatchClient(channel);
        var before = node.ResidentKiB();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var opened = 0;
        var delivered = 0;
        var streams = Enumerable.Range(0, watchers).Select(_ => Task.Run(async () =>
        {
            using var call = client.Watch(new WatchRequest { Key = "idle.key", ProgressIntervalMs = 60_000 }, cancellationToken: cts.Token);
            Interlocked.Increment(ref opened);
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
                if (call.ResponseStream.Current.Events.Any(static e => e.ValueJson == "1"))
                {
                    Interlocked.Increment(ref delivered);
                    return;
                }
            }
        })).ToList();

        await Eventually.WaitAsync(async () =>
        {
            var metrics = await node.Http.GetStringAsync("/metrics");
            var line = metrics.Split('\n').FirstOrDefault(static l => l.StartsWith("configcluster_watch_active", StringComparison.Ordinal));
            return line is not null && double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= watchers;
        }, TimeSpan.FromSeconds(60), $"{watchers} watchers to be registered on the node");
        var idle = node.ResidentKiB();
        await node.Http.MustPutAsync("idle.key", 1);
        await Eventually.WaitAsync(() => Volatile.Read(ref delivered) == watchers, TimeSpan.FromSeconds(60), "every watcher to receive the change");
        await Task.WhenAll(streams);

        var perWatcherKiB = (idle - before) / (double)watchers;
        output.WriteLine($"{watchers} idle watchers: node RSS {before / 1024.0:0.0} MiB before, {idle / 1024.0:0.0} MiB with them open ({perWatcherKiB:0.0} KiB per watcher)");
        Assert.Equal(watchers, opened);
        Assert.True(perWatcherKiB < 256, $"{perWatcherKiB:0.0} KiB per idle watcher");
    }

    [Fact]
    public async Task GrpcWatch_OnFollower_ReplaysThenStreamsLiveWithoutGapOrDuplicate()
    {
        await using var cluster = await TestCluster.StartAsync();
        var follower = cluster[await cluster.FollowerAsync()];
        var leader = cluster[await cluster.WaitForLeaderAsync(Timeout)];
        for (var i = 1; i <= 3; i++)
            await leader.Http.MustPutAsync("feature.flag", i);
        await leader.Http.MustPutAsync("other.key", 0);

        using var cts = new CancellationTokenSource(Timeout);
        using var call = new Watch.WatchClient(follower.Grpc).Watch(new WatchRequest { Prefix = "feature.", StartRevision = 0, ProgressIntervalMs = 100 }, cancellationToken: cts.Token);
        var seen = new List<KeyValue>();
        var writer = Task.Run(async () =>
        {
            for (var i = 4; i <= 6; i++)
                await leader.Http.MustPutAsync("feature.flag", i);
        });
        while (seen.Count < 6 && await call.ResponseStream.MoveNext(cts.Token))
            seen.AddRange(call.ResponseStream.Current.Events);
        await writer;

        Assert.Equal([1L, 2, 3, 4, 5, 6], seen.Select(static e => e.Version));
        Assert.Equal(seen.Select(static e => e.Revision).Order(), seen.Select(static e => e.Revision));
        Assert.Equal(["1", "2", "3", "4", "5", "6"], seen.Select(static e => e.ValueJson));
    }

    [Fact]
    public async Task GrpcWatch_Idle_SendsProgressWithCurrentRevision()
    {
        await using var cluster = await TestCluster.StartAsync();
        var revision = (await cluster[0].Http.MustPutAsync("x", 1))["revision"]!.GetValue<long>();
        using var cts = new CancellationTokenSource(Timeout);
        using var call = new Watch.WatchClient(cluster[1].Grpc).Watch(new WatchRequest { Key = "nothing.here", ProgressIntervalMs = 100 }, cancellationToken: cts.Token);
        await Eventually.WaitAsync(async () => await call.ResponseStream.MoveNext(cts.Token) && call.ResponseStream.Current.Progress && call.ResponseStream.Current.Revision >= revision, Timeout, "a progress message at the current revision");
    }

    [Fact]
    public async Task WebSocketWatch_OnFollower_ReceivesFiveChangesInOrder_AndReplaysFromZero()
    {
        await using var cluster = await TestCluster.StartAsync();
        var follower = cluster[await cluster.FollowerAsync()];
        var other = cluster.Nodes.First(n => n != follower);
        using var cts = new CancellationTokenSource(Timeout);

        using var live = new ClientWebSocket();
        live.Options.SetRequestHeader("Authorization", $"Bearer {NodeProcess.AdminToken}");
        await live.ConnectAsync(new Uri($"ws://127.0.0.1:{follower.HttpPort}/ws/watch?prefix=ws."), cts.Token);
        for (var i = 1; i <= 5; i++)
            await other.Http.MustPutAsync($"ws.k{i}", i);
        var events = await ReceiveEventsAsync(live, 5, cts.Token);
        Assert.Equal(["ws.k1", "ws.k2", "ws.k3", "ws.k4", "ws.k5"], events.Select(static e => e["key"]!.GetValue<string>()));

        using var replay = new ClientWebSocket();
        replay.Options.SetRequestHeader("Authorization", $"Bearer {NodeProcess.AdminToken}");
        await replay.ConnectAsync(new Uri($"ws://127.0.0.1:{follower.HttpPort}/ws/watch?prefix=ws.&fromRevision=0"), cts.Token);
        var replayed = await ReceiveEventsAsync(replay, 5, cts.Token);
        Assert.Equal(events.Select(static e => e["revision"]!.GetValue<long>()), replayed.Select(static e => e["revision"]!.GetValue<long>()));
    }

    [Fact]
    public async Task LongPoll_WakesWithinASecondOfAChangeOnAnotherNode()
    {
        await using var cluster = await TestCluster.StartAsync();
        var index = (await cluster[0].Http.MustPutAsync("lp.key", 1))["revision"]!.GetValue<long>();

        var poll = cluster[1].Http.GetAsync($"/config/lp.key?wait=20s&index={index}");
        Assert.False(poll.IsCompleted);
        var changedAt = DateTime.UtcNow;
        await cluster[2].Http.MustPutAsync("lp.key", 2);
        using var response = await poll;
        var elapsed = DateTime.UtcNow - changedAt;

        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"long-poll answered {elapsed.TotalMilliseconds:0} ms after the change");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(2, body["value"]!.GetValue<int>());
        Assert.True(long.Parse(response.Headers.GetValues("X-Config-Index").Single(), System.Globalization.CultureInfo.InvariantCulture) > index);
    }

    [Fact]
    public async Task LongPoll_WithoutChange_AnswersAtTheTimeoutWithCurrentState()
    {
        await using var cluster = await TestCluster.StartAsync();
        var index = (await cluster[0].Http.MustPutAsync("quiet", 1))["revision"]!.GetValue<long>();
        using var response = await cluster[1].Http.GetAsync($"/config/quiet?wait=500ms&index={index}");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-Config-Index").Single());
    }

    private static async Task<List<JsonNode>> ReceiveEventsAsync(ClientWebSocket socket, int count, CancellationToken token)
    {
        var events = new List<JsonNode>();
        var buffer = new byte[64 * 1024];
        while (events.Count < count)
        {
            var result = await socket.ReceiveAsync(buffer, token);
            if (result.MessageType == WebSocketMessageType.Close)
                throw new InvalidOperationException($"socket closed: {result.CloseStatusDescription}");
            var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!;
            if (message["type"]!.GetValue<string>() == "event")
                events.Add(message);
        }

        return events;
    }
}
