using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Secrets: sealed before the log, revealed only to an explicit read, never on disk or in logs.</summary>
public sealed class SecretTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string> MasterKey(string? key = null)
        => new() { ["CONFIGCLUSTER_MASTER_KEY"] = key ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

    [Fact]
    public async Task Secret_NeverReachesDiskOrLogs_AndSurvivesSnapshotAndFullRestart()
    {
        var marker = "MARK" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "50"], environment: MasterKey());
        var (status, _) = await cluster[1].Http.PutJsonAsync("/config/db.password", $"{{\"value\": \"{marker}\", \"secret\": true}}");
        Assert.Equal(HttpStatusCode.OK, status);
        for (var i = 0; i < 200; i++)
            await cluster[i % 3].Http.MustPutAsync($"filler.k{i % 40}", i);

        var (_, revealed) = await cluster[2].Http.GetJsonAsync("/config/db.password");
        Assert.Equal(marker, revealed!["value"]!.GetValue<string>());

        for (var i = 0; i < 3; i++)
            await cluster.RestartNodeAsync(i);
        await cluster.WaitForLeaderAsync(Timeout);
        var (_, afterRestart) = await cluster[0].Http.GetJsonAsync("/config/db.password");
        Assert.Equal(marker, afterRestart!["value"]!.GetValue<string>());

        var needles = new[] { marker, Convert.ToBase64String(Encoding.UTF8.GetBytes(marker))[..12] };
        foreach (var node in cluster.Nodes)
        {
            Assert.True(Directory.GetFiles(node.DataDirectory, "*", SearchOption.AllDirectories).Length > 3);
            await foreach (var (file, bytes) in DataFiles.ReadAllAsync(node.DataDirectory))
            {
                foreach (var needle in needles)
                    Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(needle)), $"{needle} found in {file}");
            }

            Assert.DoesNotContain(marker, node.Log);
        }
    }

    [Fact]
    public async Task Secret_ListHistoryAndWatch_ShowMetadataOnly()
    {
        await using var cluster = await TestCluster.StartAsync(environment: MasterKey());
        var http = cluster[0].Http;
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {NodeProcess.AdminToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster[1].HttpPort}/ws/watch?prefix=api."), cts.Token);

        await http.PutJsonAsync("/config/api.key", "{\"value\": \"hunter2-secret\", \"secret\": true}");
        await http.MustPutAsync("api.key", "hunter3-secret"); // later writes stay secret

        var (_, list) = await http.GetJsonAsync("/config?prefix=api.");
        var (_, history) = await http.GetJsonAsync("/config/history/api.key");
        var buffer = new byte[16 * 1024];
        var received = new StringBuilder();
        for (var events = 0; events < 2;)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
            received.AppendLine(text);
            if (text.Contains("\"event\"", StringComparison.Ordinal))
                events++;
        }

        foreach (var text in new[] { list!.ToJsonString(), history!.ToJsonString(), received.ToString() })
        {
            Assert.DoesNotContain("hunter", text);
            Assert.Contains("fingerprint", text);
        }

        Assert.All(history["versions"]!.AsArray(), v => Assert.True(v!["secret"]!.GetValue<bool>()));
        var fingerprints = history["versions"]!.AsArray().Select(v => v!["fingerprint"]!.GetValue<string>()).ToList();
        Assert.NotEqual(fingerprints[0], fingerprints[1]);
    }

    [Fact]
    public async Task NodeWithWrongMasterKey_IsSealedForSecrets_AndServesPlainConfig()
    {
        await using var cluster = await TestCluster.StartAsync(environment: MasterKey());
        await cluster[0].Http.PutJsonAsync("/config/s.token", "{\"value\": \"abc\", \"secret\": true}");
        await cluster[0].Http.MustPutAsync("plain.key", "visible");

        cluster[2].Environment = MasterKey();
        await cluster.RestartNodeAsync(2);
        await cluster.WaitForLeaderAsync(Timeout);

        var (status, body) = await cluster[2].Http.GetJsonAsync("/config/s.token");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("sealed", body!["error"]!.GetValue<string>());
        Assert.DoesNotContain("abc", body.ToJsonString());
        var (plainStatus, plain) = await cluster[2].Http.GetJsonAsync("/config/plain.key");
        Assert.Equal(HttpStatusCode.OK, plainStatus);
        Assert.Equal("visible", plain!["value"]!.GetValue<string>());
        Assert.Contains("sealed", cluster[2].Log);
        Assert.Equal("abc", (await cluster[0].Http.GetJsonAsync("/config/s.token")).Body!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task RotateAndRewrap_SecretsReadBackUnchanged_AndNothingRemainsUnderTheOldKey()
    {
        await using var cluster = await TestCluster.StartAsync(environment: MasterKey());
        var http = cluster[1].Http;
        for (var i = 0; i < 5; i++)
            await http.PutJsonAsync($"/config/sec.k{i}", $"{{\"value\": \"v{i}\", \"secret\": true}}");
        await http.MustPutAsync("sec.k0", "v0b");

        var (rotateStatus, rotated) = await http.SendAsync(HttpMethod.Post, "/admin/keys/rotate");
        Assert.Equal(HttpStatusCode.OK, rotateStatus);
        Assert.Equal(6, rotated!["pendingRewrap"]!.GetValue<long>());

        var (_, rewrap) = await http.SendAsync(HttpMethod.Post, "/admin/keys/rewrap?batch=2");
        Assert.Equal(6, rewrap!["rewrapped"]!.GetValue<long>());
        Assert.Equal(3, rewrap["batches"]!.GetValue<long>());
        Assert.Equal(0, rewrap["pendingRewrap"]!.GetValue<long>());

        await cluster.WaitForConvergenceAsync(Timeout);
        foreach (var node in cluster.Nodes)
        {
            var (_, keys) = await node.Http.GetJsonAsync("/admin/keys");
            Assert.Equal(0, keys!["keys"]!.AsArray()[0]!["sealedVersions"]!.GetValue<long>());
            Assert.Equal("v0b", (await node.Http.GetJsonAsync("/config/sec.k0")).Body!["value"]!.GetValue<string>());
            Assert.Equal("v4", (await node.Http.GetJsonAsync("/config/sec.k4")).Body!["value"]!.GetValue<string>());
            Assert.Equal("v0", (await node.Http.GetJsonAsync("/config/sec.k0?version=1")).Body!["value"]!.GetValue<string>());
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
