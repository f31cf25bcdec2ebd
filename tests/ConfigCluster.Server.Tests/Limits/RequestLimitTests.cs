using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests.Limits;

/// <summary>
/// Per-token and per-source rate limits and the per-token caps on watches and long-polls, on a real
/// node: the token over its limit gets 429 with Retry-After (gRPC RESOURCE_EXHAUSTED), another
/// token is still served, health probes never are limited, and every refusal is counted.
/// </summary>
public sealed class RequestLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TestRule ReadAll = new("*", "*", "read", "list", "watch");

    [Fact]
    public async Task TokenRateLimit_FloodFromOneToken_Gets429WithRetryAfter_WhileAnotherTokenIsServed()
    {
        // 30 requests per 10 s per token: the setup's admin requests stay well inside it.
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--rate-limit-token", "30/10s"]);
        var node = cluster[0];
        await node.Http.MustPutAsync("limits.key", 1);
        var flooder = await cluster.CreateTokenAsync("flooder", ReadAll);
        var quiet = await cluster.CreateTokenAsync("quiet", ReadAll);
        using var flood = node.ClientWith(flooder);
        using var calm = node.ClientWith(quiet);

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 80 && refused is null; i++)
        {
            var response = await flood.GetAsync("/config/limits.key");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                response.Dispose();
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {refused.Headers.RetryAfter}");
            var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.Contains("rate-limit-token", body["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(body["retryAfterSeconds"]!.GetValue<int>() >= 1);
        }

        // The other token is served over HTTP and gRPC while the flooder is refused on both.
        var (status, value) = await calm.GetJsonAsync("/config/limits.key");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, value!["value"]!.GetValue<int>());
        using var channel = GrpcChannel.ForAddress(node.GrpcUrl);
        var kv = new KV.KVClient(channel);
        var grpcRefused = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "limits.key" } }, ScopedTokens.Bearer(flooder)));
        Assert.Equal(StatusCode.ResourceExhausted, grpcRefused.StatusCode);
        Assert.Contains("rate-limit-token", grpcRefused.Status.Detail, StringComparison.Ordinal);
        var served = await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "limits.key" } }, ScopedTokens.Bearer(quiet));
        Assert.Equal("1", served.Kv.ValueJson);

        // Probes are never limited, and the refusals are counted per scope and surface.
        using var live = await node.Anonymous.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var metrics = await node.Http.GetStringAsync("/metrics");
        Assert.True(Counter(metrics, "scope=\"token\"", "surface=\"http\"", "limit=\"rate\"") >= 1, metrics);
        Assert.True(Counter(metrics, "scope=\"token\"", "surface=\"grpc\"", "limit=\"rate\"") >= 1, metrics);
    }

    [Fact]
    public async Task TokenQuota_UsedUp_Gets429UntilTheWindowEnds_WhileAnotherTokenIsServed()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--quota-token", "40/1h"]);
        var node = cluster[0];
        var spender = await cluster.CreateTokenAsync("spender", ReadAll);
        var saver = await cluster.CreateTokenAsync("saver", ReadAll);
        using var spend = node.ClientWith(spender);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 50; i++)
        {
            using var response = await spend.GetAsync("/config?limit=1");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 60 }, $"Retry-After: {response.Headers.RetryAfter}");
        }

        // The quota counts from the token's first request (its creation checks used a few).
        Assert.InRange(statuses.Count(static s => s == HttpStatusCode.OK), 30, 40);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        var (status, body) = await spend.GetJsonAsync("/config?limit=1");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("quota-token", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        using var save = node.ClientWith(saver);
        Assert.Equal(HttpStatusCode.OK, (await save.GetJsonAsync("/config?limit=1")).Status);
    }

    [Fact]
    public async Task SourceRateLimit_AnonymousFlood_Gets429_ButHealthProbesAreServed()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--rate-limit-source", "40/10s"]);
        var node = cluster[0];
        // Machine login needs no token: answered (400, bad credentials) until the source's limit is spent.
        using (var login = await node.Anonymous.PostAsync("/v1/auth/approle/login", new StringContent("{\"role_id\": \"x\", \"secret_id\": \"y\"}")))
            Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        HttpStatusCode last = HttpStatusCode.OK;
        for (var i = 0; i < 120 && last != HttpStatusCode.TooManyRequests; i++)
        {
            using var response = await node.Anonymous.GetAsync("/cluster/status");
            last = response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        var (status, body) = await node.Anonymous.GetJsonAsync("/config/anything");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("rate-limit-source", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var login in new[] { "/v1/auth/approle/login", "/v1/auth/jwt/login" })
        {
            // The limit refills as time passes: a flood of logins meets it again within a few tries.
            var refused = HttpStatusCode.OK;
            for (var i = 0; i < 100 && refused != HttpStatusCode.TooManyRequests; i++)
            {
                using var answer = await node.Anonymous.PostAsync(login, new StringContent("{\"role\": \"r\", \"jwt\": \"x.y.z\"}"));
                refused = answer.StatusCode;
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, refused);
        }

        // Probes are exempt from the limit: never 429 while the source is limited. (Readiness itself
        // may flip to 503 for a moment, e.g. during an election on a loaded machine; that is not the
        // limiter, and most probes must still say ready.)
        var ready = 0;
        for (var i = 0; i < 20; i++)
        {
            using var probe = await node.Anonymous.GetAsync("/health/ready");
            Assert.NotEqual(HttpStatusCode.TooManyRequests, probe.StatusCode);
            ready += probe.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.True(ready > 10, $"only {ready} of 20 readiness probes answered 200");

        var health = new Grpc.Health.V1.Health.HealthClient(node.Grpc);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task WatchCap_RefusesTheNPlusFirstWatchOfAToken_AndAcceptsAnotherTokens()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--max-watches-per-token", "2", "--max-long-polls-per-token", "1"]);
        var node = cluster[0];
        await node.Http.MustPutAsync("watched.key", 1);
        var busy = await cluster.CreateTokenAsync("busy", ReadAll);
        var other = await cluster.CreateTokenAsync("other", ReadAll);
        using var channel = GrpcChannel.ForAddress(node.GrpcUrl);
        var watch = new Watch.WatchClient(channel);
        using var cts = new CancellationTokenSource(Timeout);

        // Two watches of one token are open (each has delivered its first progress message).
        using var first = watch.Watch(new WatchRequest { Key = "watched.key", ProgressIntervalMs = 100 }, ScopedTokens.Bearer(busy), cancellationToken: cts.Token);
        Assert.True(await first.ResponseStream.MoveNext(cts.Token));
        using var second = await OpenWebSocketAsync(node, busy, cts.Token);
        Assert.Equal(WebSocketState.Open, second.State);

        // The third, over gRPC or WebSocket, is refused; another token's is accepted.
        using var third = watch.Watch(new WatchRequest { Key = "watched.key", ProgressIntervalMs = 100 }, ScopedTokens.Bearer(busy), cancellationToken: cts.Token);
        var refused = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("max-watches-per-token", refused.Status.Detail, StringComparison.Ordinal);
        using (var socket = new ClientWebSocket())
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {busy}");
            socket.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WatchUri(node), cts.Token));
            Assert.Equal(HttpStatusCode.TooManyRequests, socket.HttpStatusCode);
            Assert.True(socket.HttpResponseHeaders?.ContainsKey("Retry-After"), "Retry-After");
        }

        using var others = watch.Watch(new WatchRequest { Key = "watched.key", ProgressIntervalMs = 100 }, ScopedTokens.Bearer(other), cancellationToken: cts.Token);
        Assert.True(await others.ResponseStream.MoveNext(cts.Token));

        // Closing one frees its place.
        second.Abort();
        await Eventually.WaitAsync(async () =>
        {
            using var again = watch.Watch(new WatchRequest { Key = "watched.key", ProgressIntervalMs = 100 }, ScopedTokens.Bearer(busy), cancellationToken: cts.Token);
            try
            {
                return await again.ResponseStream.MoveNext(cts.Token);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, Timeout, "a closed watch to free its place");

        var metrics = await node.Http.GetStringAsync("/metrics");
        Assert.True(Counter(metrics, "scope=\"token\"", "surface=\"grpc\"", "limit=\"watches\"") >= 1, metrics);
    }

    [Fact]
    public async Task LongPollCap_RefusesTheSecondLongPollOfAToken_AndServesAnotherTokens()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--max-long-polls-per-token", "1"]);
        var node = cluster[0];
        await node.Http.MustPutAsync("watched.key", 1);
        var busy = await cluster.CreateTokenAsync("busy", ReadAll);
        var other = await cluster.CreateTokenAsync("other", ReadAll);

        // Long-polls: one waiting per token; the second is refused, another token's is served.
        using var pollCts = new CancellationTokenSource(Timeout);
        using var poller = node.ClientWith(busy);
        var revision = (await node.Http.GetJsonAsync("/config/watched.key")).Body!["revision"]!.GetValue<long>();
        Task<HttpResponseMessage> Wait() => poller.GetAsync($"/config/watched.key?wait=60s&index={revision}", pollCts.Token);
        var waiting = Wait();
        await Eventually.WaitAsync(async () =>
        {
            if (waiting.IsCompleted)
            {
                // A probe got there first and the waiting long-poll was the one refused: send it again.
                (await waiting).Dispose();
                waiting = Wait();
                return false;
            }

            using var response = await poller.GetAsync($"/config/watched.key?wait=100ms&index={revision}", pollCts.Token);
            return response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is not null;
        }, Timeout, "the second long-poll of a token to be refused with 429");
        using var otherPoller = node.ClientWith(other);
        using (var served = await otherPoller.GetAsync($"/config/watched.key?wait=100ms&index={revision}", pollCts.Token))
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        await node.Http.MustPutAsync("watched.key", 2);
        using (var answered = await waiting)
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);

        var metrics = await node.Http.GetStringAsync("/metrics");
        Assert.True(Counter(metrics, "scope=\"token\"", "surface=\"http\"", "limit=\"long-polls\"") >= 1, metrics);
    }

    private static Uri WatchUri(NodeProcess node) => new($"ws://{node.Host}:{node.HttpPort}/ws/watch?key=watched.key");

    private static async Task<ClientWebSocket> OpenWebSocketAsync(NodeProcess node, string token, CancellationToken cancellation)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        await socket.ConnectAsync(WatchUri(node), cancellation);
        return socket;
    }

    // The value of configcluster_rate_limited_total on the line carrying every given label.
    private static double Counter(string metrics, params string[] labels)
        => metrics.Split('\n')
            .Where(line => line.StartsWith("configcluster_rate_limited_total{", StringComparison.Ordinal) && labels.All(line.Contains))
            .Sum(static line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
