using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// A secret read through inheritance opens with the path it was sealed under (the environment
/// it came from), and effective watches of an inheriting environment show it as metadata only.
/// </summary>
public sealed class InheritedSecretTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Value = "inherited-hunter2";

    private static async Task<TestCluster> StartWithChainAsync()
    {
        var environment = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var cluster = await TestCluster.StartAsync(environment: environment);
        var (status, chain) = await cluster[0].Http.SendAsync(HttpMethod.Put, "/environments/prod", "{\"inherits\": \"staging\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["prod", "staging", "default"], chain!["chain"]!.AsArray().Select(static e => e!.GetValue<string>()));
        return cluster;
    }

    [Fact]
    public async Task Get_SecretFromDefault_ThroughTwoLevelChain_OpensOverHttpAndGrpc()
    {
        await using var cluster = await StartWithChainAsync();
        var (putStatus, _) = await cluster[0].Http.PutJsonAsync("/config/db.password", $"{{\"value\": \"{Value}\", \"secret\": true}}");
        Assert.Equal(HttpStatusCode.OK, putStatus);
        var (stagingStatus, _) = await cluster[0].Http.PutJsonAsync("/config/api.key?env=staging", "{\"value\": \"from-staging\", \"secret\": true}");
        Assert.Equal(HttpStatusCode.OK, stagingStatus);

        var (status, body) = await cluster[1].Http.GetJsonAsync("/config/db.password?env=prod");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Value, body!["value"]!.GetValue<string>());
        Assert.Equal("default", body["source"]!.GetValue<string>());
        Assert.Equal("from-staging", (await cluster[2].Http.GetJsonAsync("/config/api.key?env=prod")).Body!["value"]!.GetValue<string>());

        // The effective list names each key's source and shows a secret's fingerprint, never its value.
        var (_, effective) = await cluster[1].Http.GetJsonAsync("/config?env=prod&effective=true");
        var listed = effective!["items"]!.AsArray().Single(static i => i!["key"]!.GetValue<string>() == "db.password")!;
        Assert.Equal("default", listed["source"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(listed["fingerprint"]?.GetValue<string>()));
        Assert.DoesNotContain(Value, effective.ToJsonString());

        var kv = new KV.KVClient(cluster[2].Grpc);
        var got = await kv.GetAsync(new GetRequest { Path = new KeyPath { Environment = "prod", Key = "db.password" } });
        Assert.Equal($"\"{Value}\"", got.Kv.ValueJson);
        Assert.Equal("default", got.Kv.Path.Environment);
    }

    [Fact]
    public async Task EffectiveWatchOfProd_ShowsAnInheritedSecret_AsMetadataOnly()
    {
        await using var cluster = await StartWithChainAsync();
        var start = (await cluster[0].Http.MustPutAsync("db.marker", 0))["revision"]!.GetValue<long>();
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {NodeProcess.AdminToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster[1].HttpPort}/ws/watch?env=prod&prefix=db.pass"), cts.Token);
        using var call = new Watch.WatchClient(cluster[2].Grpc).Watch(new WatchRequest { Environment = "prod", Prefix = "db.pass", StartRevision = start }, cancellationToken: cts.Token);

        var (putStatus, _) = await cluster[0].Http.PutJsonAsync("/config/db.password", $"{{\"value\": \"{Value}\", \"secret\": true}}");
        Assert.Equal(HttpStatusCode.OK, putStatus);

        var socketEvent = await ReceiveEventAsync(socket, cts.Token);
        Assert.Contains("db.password", socketEvent);
        Assert.Contains("fingerprint", socketEvent);
        Assert.DoesNotContain(Value, socketEvent);

        KeyValue? grpcEvent = null;
        while (grpcEvent is null && await call.ResponseStream.MoveNext(cts.Token))
            grpcEvent = call.ResponseStream.Current.Events.FirstOrDefault();
        Assert.NotNull(grpcEvent);
        Assert.Equal("db.password", grpcEvent.Path.Key);
        Assert.True(grpcEvent.Secret);
        Assert.Equal("", grpcEvent.ValueJson);
        Assert.NotEqual("", grpcEvent.Fingerprint);
    }

    private static async Task<string> ReceiveEventAsync(ClientWebSocket socket, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
            if (text.Contains("\"event\"", StringComparison.Ordinal))
                return text;
        }
    }
}
