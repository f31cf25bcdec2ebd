using System.Diagnostics.Tracing;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Microsoft.Diagnostics.NETCore.Client;

namespace ConfigCluster.Server.Tests;

/// <summary>Live reload: gRPC watch, WebSocket watch and long-poll, all fed by each node's change feed.</summary>
public sealed partial class WatchTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // Live managed heap per idle gRPC watcher after a full GC, less the pinned object heap: measured
    // 10.0-10.2 KiB here (Debug node, its share of 10 HTTP/2 connections included); about 2 KiB more
    // before a watcher stopped holding a timer, linked token source, channel and header copies
    // (benchmarks/RESULTS.md, "idle watchers"). Most of the rest is Kestrel's and gRPC's per stream.
    private const double LiveKiBPerIdleWatcher = 11;

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
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var before = node.ResidentKiB();
        // A few watchers opened and closed first: the node has then run the watch path once (code,
        // caches made), so the live-heap figure is what each further watcher holds, the HTTP/2
        // connections they need (one per 100 streams) included. Only a few: Kestrel keeps a closed
        // stream's objects on its connection for reuse for a few seconds.
        using (var warmUp = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
        {
            var first = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
            {
                using var call = client.Watch(new WatchRequest { Key = "idle.key", ProgressIntervalMs = 60_000 }, cancellationToken: warmUp.Token);
                await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(warmUp.Token));
            })).ToList();
            await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) >= first.Count, TimeSpan.FromSeconds(30), "the first watchers to be registered");
            await warmUp.CancelAsync();
            await Task.WhenAll(first).WaitAsync(TimeSpan.FromSeconds(30));
            await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) == 0, TimeSpan.FromSeconds(30), "the first watchers to be gone");
        }

        var liveBefore = await LiveHeapAfterFullGcAsync(node, cts.Token);

        // What each watcher received before its stream ended: the events of the change it waited for.
        var received = new System.Collections.Concurrent.ConcurrentBag<(string Key, string Value, long Revision)>();
        var streams = Enumerable.Range(0, watchers).Select(_ => Task.Run(async () =>
        {
            using var call = client.Watch(new WatchRequest { Key = "idle.key", ProgressIntervalMs = 60_000 }, cancellationToken: cts.Token);
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
                var events = call.ResponseStream.Current.Events;
                foreach (var e in events)
                    received.Add((e.Path.Key, e.ValueJson, e.Revision));
                if (events.Count > 0)
                    return;
            }
        })).ToList();

        await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) >= watchers, TimeSpan.FromSeconds(60), $"{watchers} watchers to be registered on the node");
        Assert.Equal(watchers, await ActiveWatchersAsync(node));
        var idle = node.ResidentKiB();
        var liveIdle = await LiveHeapAfterFullGcAsync(node, cts.Token);
        var revision = (await node.Http.MustPutAsync("idle.key", 1))["revision"]!.GetValue<long>();
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(60));

        var perWatcherKiB = (idle - before) / (double)watchers;
        var livePerWatcherKiB = (liveIdle - liveBefore) / 1024.0 / watchers;
        output.WriteLine($"{watchers} idle watchers: node RSS {before / 1024.0:0.0} MiB before, {idle / 1024.0:0.0} MiB with them open ({perWatcherKiB:0.0} KiB per watcher); "
            + $"live managed heap after a full GC {liveBefore / 1048576.0:0.0} MiB before, {liveIdle / 1048576.0:0.0} MiB with them open ({livePerWatcherKiB:0.00} KiB per watcher)");
        // Each watcher's first message held exactly the one change made while they were idle.
        Assert.Equal(watchers, received.Count);
        Assert.All(received, r => Assert.Equal(("idle.key", "1", revision), r));
        Assert.True(perWatcherKiB < 256, $"{perWatcherKiB:0.0} KiB per idle watcher");
        // What the watchers' objects hold (RSS adds the GC's slack and moves with its budget): the
        // node's own part is a few hundred bytes, the rest is Kestrel's HTTP/2 stream and the gRPC call
        // (benchmarks/RESULTS.md, "idle watchers").
        Assert.True(livePerWatcherKiB < LiveKiBPerIdleWatcher, $"{livePerWatcherKiB:0.00} KiB of live managed heap per idle watcher (bound {LiveKiBPerIdleWatcher} KiB)");
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

        // Replay: the three versions written before the watch. A progress mark is only sent from
        // the live phase, so once one arrives the stream has crossed from replay to live.
        while (seen.Count < 3 || !call.ResponseStream.Current.Progress)
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token), "the watch ended during replay");
            seen.AddRange(call.ResponseStream.Current.Events);
        }

        for (var i = 4; i <= 6; i++)
            await leader.Http.MustPutAsync("feature.flag", i);
        var end = (await leader.Http.MustPutAsync("feature.zz-end", 0))["revision"]!.GetValue<long>();

        // Live: the next three versions, then the end marker; then a progress mark at or past the
        // marker's revision shows nothing (no duplicate of any of them) followed.
        while (!call.ResponseStream.Current.Progress || call.ResponseStream.Current.Revision < end)
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token), "the watch ended during the live phase");
            seen.AddRange(call.ResponseStream.Current.Events);
        }

        Assert.Equal(
            [("feature.flag", 1L, "1"), ("feature.flag", 2, "2"), ("feature.flag", 3, "3"), ("feature.flag", 4, "4"), ("feature.flag", 5, "5"), ("feature.flag", 6, "6"), ("feature.zz-end", 1, "0")],
            seen.Select(static e => (e.Path.Key, e.Version, e.ValueJson)));
        Assert.Equal(end, seen[^1].Revision);
        Assert.Equal(seen.Select(static e => e.Revision).Order(), seen.Select(static e => e.Revision));
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
    public async Task LongPoll_StaysPendingThroughOtherKeysChanges_AndWakesOnItsKeysChangeOnAnotherNode()
    {
        await using var cluster = await TestCluster.StartAsync();
        var index = (await cluster[0].Http.MustPutAsync("lp.key", 1))["revision"]!.GetValue<long>();
        var polled = cluster[1];
        var before = await ActiveWatchersAsync(polled);

        // The poll's own wait (5 minutes) is far longer than the test's bound on it, so an answer
        // within the bound can only come from a change.
        var poll = polled.Http.GetAsync($"/config/lp.key?wait=5m&index={index}");
        var other = polled.Http.GetAsync("/config/lp.other?wait=5m&index=0");
        await Eventually.WaitAsync(async () => await ActiveWatchersAsync(polled) >= before + 2, Timeout, "both long-polls to wait on the node");

        // A change to another key reaches the polled node's change feed (the other poll answers)...
        await cluster[2].Http.MustPutAsync("lp.other", 1);
        using (var otherResponse = await other.WaitAsync(Timeout))
            Assert.Equal(System.Net.HttpStatusCode.OK, otherResponse.StatusCode);

        // ...and does not wake the poll on lp.key: once the answered poll's subscription is gone,
        // the node still holds exactly one waiting long-poll and the client has no answer.
        await Eventually.WaitAsync(async () => await ActiveWatchersAsync(polled) <= before + 1, Timeout, "the answered long-poll to leave the node");
        Assert.Equal(before + 1, await ActiveWatchersAsync(polled));
        Assert.False(poll.IsCompleted, "the long-poll on lp.key answered after a change to lp.other");
        var changed = (await cluster[2].Http.MustPutAsync("lp.key", 2))["revision"]!.GetValue<long>();
        using var response = await poll.WaitAsync(Timeout);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(2, body["value"]!.GetValue<int>());
        Assert.Equal(changed, long.Parse(response.Headers.GetValues("X-Config-Index").Single(), System.Globalization.CultureInfo.InvariantCulture));
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

    // The node's configcluster_watch_active gauge: live watchers and waiting long-polls.
    private static Task<double> ActiveWatchersAsync(NodeProcess node) => MetricAsync(node, "configcluster_watch_active");

    private static async Task<double> MetricAsync(NodeProcess node, string name)
    {
        var metrics = await node.Http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The node's managed heap in use (less the pinned object heap) right after a full blocking GC that this call made it run:
    /// an EventPipe session enabling the runtime's GCHeapCollect keyword induces one (as
    /// dotnet-gcdump does); the node reports the heap after it on /metrics.
    /// </summary>
    private static async Task<long> LiveHeapAfterFullGcAsync(NodeProcess node, CancellationToken token)
    {
        const long gcHeapCollectKeyword = 0x800000;
        var lastGc = await MetricAsync(node, "configcluster_memory_live_heap_gc");
        var client = new DiagnosticsClient(node.ProcessId ?? throw new InvalidOperationException($"node {node.NodeId} is not running"));
        using (var session = client.StartEventPipeSession(new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, gcHeapCollectKeyword), requestRundown: false))
        {
            var drained = session.EventStream.CopyToAsync(Stream.Null, token);
            await Eventually.WaitAsync(async () => await MetricAsync(node, "configcluster_memory_live_heap_gc") > lastGc, TimeSpan.FromSeconds(30), $"node {node.NodeId} to run the full GC");
            await session.StopAsync(token);
            await drained;
        }

        // Without the pinned object heap: there Kestrel keeps its pool of I/O blocks, sized by the
        // last bursts of traffic (an idle stream holds none), which would only add noise here.
        var metrics = await node.Http.GetStringAsync("/metrics", token);
        return metrics.Split('\n')
            .Where(static l => l.StartsWith("configcluster_memory_live_heap_bytes{", StringComparison.Ordinal) && !l.Contains("generation=\"poh\"", StringComparison.Ordinal))
            .Sum(static l => long.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));
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
