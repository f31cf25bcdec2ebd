using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Console.Tests;

/// <summary>
/// The two API additions the console relies on, checked without a browser: a token carried as a
/// WebSocket sub-protocol, and <c>GET /acl/capabilities</c>.
/// </summary>
public sealed class ConsoleApiTests(ConsoleCluster fixture) : IClassFixture<ConsoleCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task WatchSocket_TokenAsSubProtocol_IsAccepted_AndABadOneRefused()
    {
        var node = fixture.Cluster[1];
        var uri = new Uri($"ws://{node.Host}:{node.HttpPort}/ws/watch?prefix=wsproto.");
        using var refused = new ClientWebSocket();
        refused.Options.AddSubProtocol("configcluster.watch.v1");
        refused.Options.AddSubProtocol("configcluster.bearer." + Base64Url("cc_unknown_token_for_the_socket_000000"));
        refused.Options.CollectHttpResponseDetails = true;
        using var cts = new CancellationTokenSource(Timeout);
        await Assert.ThrowsAnyAsync<WebSocketException>(() => refused.ConnectAsync(uri, cts.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.HttpStatusCode);

        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("configcluster.watch.v1");
        socket.Options.AddSubProtocol("configcluster.bearer." + Base64Url(NodeProcess.AdminToken));
        await socket.ConnectAsync(uri, cts.Token);
        Assert.Equal("configcluster.watch.v1", socket.SubProtocol); // never the entry that carries the token
        await fixture.Cluster[0].Http.MustPutAsync("wsproto.key", 1);
        // Progress marks may come first (an idle watch reports its revision now and then); the
        // first message that is not one must be the change.
        var buffer = new byte[4096];
        string message;
        do
        {
            var received = await socket.ReceiveAsync(buffer, cts.Token);
            message = Encoding.UTF8.GetString(buffer, 0, received.Count);
        }
        while (message.Contains("\"type\":\"progress\"", StringComparison.Ordinal));
        Assert.Contains("\"key\":\"wsproto.key\"", message, StringComparison.Ordinal);
        socket.Abort(); // the server ends the stream when the client goes; no close handshake needed
    }

    [Fact]
    public async Task Capabilities_AnswerForTheCallersOwnToken_PerKey()
    {
        var admin = fixture.Cluster[0].Http;
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(HttpMethod.Put, "/acl/policies/caps-a",
            "{\"rules\": [{\"path\": \"capsa.*\", \"capabilities\": [\"read\", \"list\"]}, {\"path\": \"capsa.locked\", \"capabilities\": [\"read\"], \"deny\": true}]}")).Status);
        var (_, created) = await admin.SendAsync(HttpMethod.Post, "/acl/tokens", "{\"name\": \"caps-a\", \"policies\": [\"caps-a\"]}");
        using var client = new HttpClient { BaseAddress = new Uri(fixture.Cluster[2].HttpUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created!["token"]!.GetValue<string>());

        var (status, mine) = (HttpStatusCode.NotFound, (System.Text.Json.Nodes.JsonNode?)null);
        await Eventually.WaitAsync(async () => ((status, mine) = await client.GetJsonAsync("/acl/capabilities?key=capsa.x")).status == HttpStatusCode.OK, Timeout, "the token on the node");
        Assert.Equal("caps-a", mine!["name"]!.GetValue<string>());
        Assert.False(mine["admin"]!.GetValue<bool>());
        Assert.Equal(["read", "list"], mine["capabilities"]!.AsArray().Select(static c => c!.GetValue<string>()));
        Assert.Equal(["list"], (await client.GetJsonAsync("/acl/capabilities?key=capsa.locked")).Body!["capabilities"]!.AsArray().Select(static c => c!.GetValue<string>()));
        Assert.Empty((await client.GetJsonAsync("/acl/capabilities?key=capsb.x")).Body!["capabilities"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetJsonAsync("/acl/capabilities?key=bad..key")).Status);

        var (_, root) = await admin.GetJsonAsync("/acl/capabilities?ns=any&env=where");
        Assert.True(root!["admin"]!.GetValue<bool>());
        Assert.Equal(7, root["capabilities"]!.AsArray().Count);
    }

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
