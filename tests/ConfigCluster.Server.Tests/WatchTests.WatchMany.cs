using System.Security.Cryptography;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests;

// Watch.WatchMany: many watches on one bidirectional stream, each with a Watch stream's semantics,
// a failure ending only its watch.
public sealed partial class WatchTests
{
    // The bound (issue 19): live managed heap per idle watch, here with the watches on a few
    // WatchMany streams. The node's own objects per watch are about 2 KiB; the HTTP/2 stream and gRPC
    // call they share are spread over 250 watches each.
    private const double LiveKiBPerIdleMuxWatcher = 8;

    [Fact]
    public async Task ThousandIdleWatches_OnFourWatchManyStreams_CostAtMost8KiBEach_AndEachGetsTheNextChange()
    {
        const int watchers = 1000;
        const int streams = 4;
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        await node.Http.MustPutAsync("idle.key", 0);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var idle = new WatchRequest { Key = "idle.key", ProgressIntervalMs = 60_000 };
        var before = node.ResidentKiB();

        // One stream with a few watches opened and closed first: the node has then run the
        // WatchMany path once, so the figure below is what each further watch holds.
        await using (var warmUp = new WatchManyCall(node.Grpc, null, cts.Token))
        {
            for (var id = 0; id < 20; id++)
                await warmUp.CreateAsync(id, idle);
            await Eventually.WaitAsync(() => Enumerable.Range(0, 20).All(id => warmUp.For(id).Any(static r => r.Created is not null)), TimeSpan.FromSeconds(30), "the first watches to be created");
        }

        await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) == 0, TimeSpan.FromSeconds(30), "the first watches to be gone with their stream");
        var liveBefore = await LiveHeapAfterFullGcAsync(node, cts.Token);

        var calls = Enumerable.Range(0, streams).Select(_ => new WatchManyCall(node.Grpc, null, cts.Token)).ToList();
        try
        {
            for (var id = 0; id < watchers; id++)
                await calls[id % streams].CreateAsync(id, idle);
            await Eventually.WaitAsync(() => Enumerable.Range(0, watchers).All(id => calls[id % streams].For(id).Any(static r => r.Created is not null)),
                TimeSpan.FromSeconds(60), $"{watchers} watches to be created");
            await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) >= watchers, TimeSpan.FromSeconds(60), $"{watchers} watches to be registered on the node");
            Assert.Equal(watchers, await ActiveWatchersAsync(node));
            var idleKiB = node.ResidentKiB();
            var liveIdle = await LiveHeapAfterFullGcAsync(node, cts.Token);
            var revision = (await node.Http.MustPutAsync("idle.key", 1))["revision"]!.GetValue<long>();
            await Eventually.WaitAsync(() => Enumerable.Range(0, watchers).All(id => calls[id % streams].Events(id).Count > 0), TimeSpan.FromSeconds(60), "every watch to get the change");

            var perWatcherKiB = (idleKiB - before) / (double)watchers;
            var livePerWatcherKiB = (liveIdle - liveBefore) / 1024.0 / watchers;
            output.WriteLine($"{watchers} idle watches on {streams} WatchMany streams: node RSS {before / 1024.0:0.0} MiB before, {idleKiB / 1024.0:0.0} MiB with them open ({perWatcherKiB:0.0} KiB per watch); "
                + $"live managed heap after a full GC {liveBefore / 1048576.0:0.0} MiB before, {liveIdle / 1048576.0:0.0} MiB with them open ({livePerWatcherKiB:0.00} KiB per watch)");
            // Each watch's first update held exactly the one change made while they were idle, and nothing else came.
            for (var id = 0; id < watchers; id++)
            {
                var responses = calls[id % streams].For(id);
                Assert.True(responses[0].Created is not null, $"watch {id}: {responses[0]}");
                Assert.Equal([("idle.key", "1", revision)], calls[id % streams].Events(id).Select(static e => (e.Path.Key, e.ValueJson, e.Revision)));
            }

            Assert.True(perWatcherKiB < 256, $"{perWatcherKiB:0.0} KiB per idle watch");
            Assert.True(livePerWatcherKiB <= LiveKiBPerIdleMuxWatcher, $"{livePerWatcherKiB:0.00} KiB of live managed heap per idle watch (bound {LiveKiBPerIdleMuxWatcher} KiB)");
        }
        finally
        {
            foreach (var call in calls)
                await call.DisposeAsync();
        }

        // The streams closed: every subscription went with them.
        await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) == 0, TimeSpan.FromSeconds(30), "every watch to be gone with its stream");
    }

    [Fact]
    public async Task WatchMany_BadCreates_AnswerThatWatchOnly_AndAnotherWatchOnTheStreamKeepsWorking()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        using var cts = new CancellationTokenSource(Timeout);
        await using var stream = new WatchManyCall(node.Grpc, null, cts.Token);
        await stream.CreateAsync(1, new WatchRequest { Key = "mux.a", ProgressIntervalMs = 60_000 });
        await stream.WaitForAsync(1, static r => r.Created is not null, "created");

        await stream.CreateAsync(2, new WatchRequest { Key = "bad key" });
        await stream.CreateAsync(3, new WatchRequest { Key = "mux.a", StartRevision = -1 });
        await stream.CreateAsync(4, new WatchRequest { Key = "mux.a", Prefix = "mux." });
        await stream.CreateAsync(1, new WatchRequest { Key = "mux.other" }); // 1 is open: refused, changes nothing
        await stream.CancelAsync(99);
        await stream.SendAsync(new WatchManyRequest());
        foreach (var id in new long[] { 2, 3, 4 })
        {
            var error = await stream.ErrorAsync(id);
            Assert.Equal((int)StatusCode.InvalidArgument, error.Code);
            Assert.False(string.IsNullOrWhiteSpace(error.Message), $"watch {id}: an error without a message");
        }

        Assert.Equal((int)StatusCode.AlreadyExists, (await stream.ErrorAsync(1)).Code);
        Assert.Equal((int)StatusCode.NotFound, (await stream.ErrorAsync(99)).Code);
        Assert.Equal((int)StatusCode.InvalidArgument, (await stream.ErrorAsync(0)).Code);

        // Only watch 1 holds a subscription, and it still watches mux.a (not mux.other).
        Assert.Equal(1, await ActiveWatchersAsync(node));
        await node.Http.MustPutAsync("mux.other", 1);
        var revision = (await node.Http.MustPutAsync("mux.a", 2))["revision"]!.GetValue<long>();
        await stream.WaitForEventsAsync(1, 1);
        Assert.Equal([("mux.a", "2", revision)], stream.Events(1).Select(static e => (e.Path.Key, e.ValueJson, e.Revision)));
        Assert.Null(stream.Ended);
        foreach (var id in new long[] { 2, 3, 4 })
            Assert.Single(stream.For(id));
    }

    [Fact]
    public async Task WatchMany_KeyTheTokenMayNotWatch_IsPermissionDeniedForThatWatch_AndAudited()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        var token = await cluster.CreateTokenAsync("mux-watcher", new TestRule("mux.allowed.*", "*", "watch"));
        using var channel = GrpcChannel.ForAddress(node.GrpcUrl);
        using var cts = new CancellationTokenSource(Timeout);
        await using var stream = new WatchManyCall(channel, ScopedTokens.Bearer(token), cts.Token);

        await stream.CreateAsync(1, new WatchRequest { Prefix = "mux.allowed.", ProgressIntervalMs = 60_000 });
        await stream.CreateAsync(2, new WatchRequest { Key = "mux.denied.k" });
        // Wider than the token may watch: admitted as a Watch of it is, and shown only the keys the token may watch.
        await stream.CreateAsync(3, new WatchRequest { Prefix = "mux.", ProgressIntervalMs = 60_000 });
        await stream.WaitForAsync(1, static r => r.Created is not null, "created");
        await stream.WaitForAsync(3, static r => r.Created is not null, "created");
        var denied = await stream.ErrorAsync(2);
        Assert.Equal((int)StatusCode.PermissionDenied, denied.Code);
        Assert.Contains("mux.denied.k", denied.Message, StringComparison.Ordinal);

        await node.Http.MustPutAsync("mux.denied.k", 1);
        var revision = (await node.Http.MustPutAsync("mux.allowed.k", 1))["revision"]!.GetValue<long>();
        await stream.WaitForEventsAsync(1, 1);
        await stream.WaitForEventsAsync(3, 1);
        Assert.Equal([("mux.allowed.k", revision)], stream.Events(1).Select(static e => (e.Path.Key, e.Revision)));
        Assert.Equal([("mux.allowed.k", revision)], stream.Events(3).Select(static e => (e.Path.Key, e.Revision)));
        Assert.Single(stream.For(2));
        Assert.Null(stream.Ended);

        // Each create is an access of its own: the denied one is on record as a deny of "watch" on its key.
        var audit = await File.ReadAllLinesAsync(Path.Combine(node.DataDirectory, "audit", "audit.jsonl"), cts.Token);
        Assert.Contains(audit, static l => l.Contains("\"mux.denied.k\"", StringComparison.Ordinal) && l.Contains("\"deny\"", StringComparison.Ordinal) && l.Contains("\"watch\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WatchMany_Cancel_StopsEventsForThatIdOnly_AndFreesTheId()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        using var cts = new CancellationTokenSource(Timeout);
        await using var stream = new WatchManyCall(node.Grpc, null, cts.Token);
        foreach (var id in new long[] { 1, 2 })
        {
            await stream.CreateAsync(id, new WatchRequest { Key = "mux.c", ProgressIntervalMs = 60_000 });
            await stream.WaitForAsync(id, static r => r.Created is not null, "created");
        }

        await node.Http.MustPutAsync("mux.c", 1);
        await stream.WaitForEventsAsync(1, 1);
        await stream.WaitForEventsAsync(2, 1);

        await stream.CancelAsync(1);
        await stream.WaitForAsync(1, static r => r.Canceled is not null, "canceled");
        await Eventually.WaitAsync(async () => await ActiveWatchersAsync(node) == 1, Timeout, "the cancelled watch's subscription to go");
        var second = (await node.Http.MustPutAsync("mux.c", 2))["revision"]!.GetValue<long>();
        await stream.WaitForEventsAsync(2, 2);
        Assert.Equal(second, stream.Events(2)[^1].Revision);

        // Watch 1 ended with canceled (nothing after it); the id may then be used again.
        await stream.CreateAsync(1, new WatchRequest { Key = "mux.c", StartRevision = second, ProgressIntervalMs = 60_000 });
        await Eventually.WaitAsync(() => stream.For(1).SkipWhile(static r => r.Canceled is null).Any(static r => r.Created is not null), Timeout, "watch 1 created again");
        await node.Http.MustPutAsync("mux.c", 3);
        await stream.WaitForEventsAsync(1, 2);
        await stream.WaitForEventsAsync(2, 3);
        // Watch 1: the first change, canceled, then (created again after the second) the third.
        Assert.Equal(["1", "3"], stream.Events(1).Select(static e => e.ValueJson));
        Assert.Equal(["created", "update", "canceled", "created", "update"], stream.For(1).Select(static r => r.KindCase.ToString().ToLowerInvariant()));
        Assert.Equal(["1", "2", "3"], stream.Events(2).Select(static e => e.ValueJson));
    }

    [Fact]
    public async Task WatchMany_Secret_IsDeliveredMetadataOnly()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        var node = cluster[0];
        using var cts = new CancellationTokenSource(Timeout);
        await using var stream = new WatchManyCall(node.Grpc, null, cts.Token);
        await stream.CreateAsync(5, new WatchRequest { Prefix = "api.", ProgressIntervalMs = 60_000 });
        await stream.WaitForAsync(5, static r => r.Created is not null, "created");

        var (status, _) = await node.Http.PutJsonAsync("/config/api.key", "{\"value\": \"hunter2-secret\", \"secret\": true}");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        await node.Http.MustPutAsync("api.key", "hunter3-secret"); // later writes stay secret
        await stream.WaitForEventsAsync(5, 2);

        Assert.All(stream.Events(5), static e =>
        {
            Assert.True(e.Secret);
            Assert.Equal("", e.ValueJson);
            Assert.False(string.IsNullOrEmpty(e.Fingerprint));
        });
        Assert.DoesNotContain("hunter", string.Concat(stream.For(5).Select(static r => r.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchMany_OnFollower_FromStartRevision_ReplaysThenStreamsLiveWithoutGapOrDuplicate()
    {
        await using var cluster = await TestCluster.StartAsync();
        var follower = cluster[await cluster.FollowerAsync()];
        var leader = cluster[await cluster.WaitForLeaderAsync(Timeout)];
        var first = 0L;
        for (var i = 1; i <= 3; i++)
        {
            var revision = (await leader.Http.MustPutAsync("feature.flag", i))["revision"]!.GetValue<long>();
            first = first == 0 ? revision : first;
        }

        await leader.Http.MustPutAsync("other.key", 0);
        using var cts = new CancellationTokenSource(Timeout);
        await using var stream = new WatchManyCall(follower.Grpc, null, cts.Token);
        // From 0 (everything kept), and from the first version's revision (the two after it), on one stream.
        await stream.CreateAsync(10, new WatchRequest { Prefix = "feature.", StartRevision = 0, ProgressIntervalMs = 100 });
        await stream.CreateAsync(11, new WatchRequest { Key = "feature.flag", StartRevision = first, ProgressIntervalMs = 100 });
        await stream.WaitForEventsAsync(10, 3);
        await stream.WaitForEventsAsync(11, 2);
        // A progress mark is only sent from the live phase: once one arrives the watch crossed from replay to live.
        await stream.WaitForAsync(10, static r => r.Update is { Progress: true }, "a progress mark");

        for (var i = 4; i <= 6; i++)
            await leader.Http.MustPutAsync("feature.flag", i);
        var end = (await leader.Http.MustPutAsync("feature.zz-end", 0))["revision"]!.GetValue<long>();

        // Then a progress mark at or past the end marker's revision shows nothing more followed.
        await stream.WaitForAsync(10, r => r.Update is { Progress: true } u && u.Revision >= end, "a progress mark past the end marker");
        await stream.WaitForAsync(11, r => r.Update is { Progress: true } u && u.Revision >= end, "a progress mark past the end marker");
        Assert.Equal(
            [("feature.flag", 1L, "1"), ("feature.flag", 2, "2"), ("feature.flag", 3, "3"), ("feature.flag", 4, "4"), ("feature.flag", 5, "5"), ("feature.flag", 6, "6"), ("feature.zz-end", 1, "0")],
            stream.Events(10).Select(static e => (e.Path.Key, e.Version, e.ValueJson)));
        Assert.Equal(end, stream.Events(10)[^1].Revision);
        Assert.Equal([2L, 3, 4, 5, 6], stream.Events(11).Select(static e => e.Version));
        Assert.Equal(stream.Events(10).Select(static e => e.Revision).Order(), stream.Events(10).Select(static e => e.Revision));
        Assert.Null(stream.Ended);
    }
}
