using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Online master key rotation through the log (README "Rotate the master key"): under a light
/// write load, the keyring (data keys, transit key versions, fingerprint key) is re-wrapped under
/// a new key; nodes given the key switch, a node without it seals itself clearly and is unsealed
/// with it, and a node restarted with the old key is sealed while plain config is still served.
/// </summary>
public sealed class MasterKeyRotationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RotateMaster_UnderLoad_EverySecretAndTransitKeyReadableWithTheNewKeyOnly()
    {
        var oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var newKeyFile = Path.Combine(Path.GetTempPath(), $"cc-rotate-{Guid.NewGuid():N}.key");
        await File.WriteAllTextAsync(newKeyFile, newKey);
        try
        {
            await using var cluster = await TestCluster.StartAsync(environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = oldKey });
            var leader = await cluster.WaitForLeaderAsync(Timeout);
            var (prepared, unprepared) = ((leader + 1) % 3, (leader + 2) % 3);
            var http = cluster[leader].Http;

            // Key material of every kind: two data keys, a transit key with two versions.
            await PutSecretAsync(http, "rot.same", "same-plaintext-1");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Post, "/admin/keys/rotate")).Status);
            for (var i = 0; i < 5; i++)
                await PutSecretAsync(http, $"rot.secret{i}", $"before-{i}");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Post, "/v1/transit/keys/rot", "{}")).Status);
            var c1 = await EncryptAsync(http, "cm90YXRpb24tb25l");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(HttpMethod.Post, "/v1/transit/keys/rot/rotate", "{}")).Status);
            var c2 = await EncryptAsync(http, "cm90YXRpb24tdHdv");
            Assert.StartsWith("vault:v2:", c2, StringComparison.Ordinal);
            var fingerprintBefore = await FingerprintAsync(http, "rot.same", 1);

            // One follower is given the new key ahead of the rotation; the other is not.
            var prepare = await Ccctl.RunAsync(null, "--endpoints", cluster[prepared].GrpcUrl, "operator", "rotate-master", "--new-key-file", newKeyFile, "--prepare");
            Assert.True(prepare.Code == 0, prepare.Err);

            // A light write load (plain and secret values) on the leader throughout.
            var acknowledged = new ConcurrentDictionary<string, string>();
            var ambiguous = new ConcurrentDictionary<string, bool>();
            var writes = 0;
            using var stop = new CancellationTokenSource();
            var load = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var secret = i % 2 == 0;
                    var key = $"load.{(secret ? "secret" : "plain")}{i % 10}";
                    var value = $"value-{i}";
                    var (status, _) = await http.PutJsonAsync($"/config/{key}", new JsonObject { ["value"] = value, ["secret"] = secret }.ToJsonString());
                    if (status == HttpStatusCode.OK)
                    {
                        acknowledged[key] = value;
                        Interlocked.Increment(ref writes);
                    }
                    else
                        ambiguous[key] = true; // its outcome may be unknown: only "some value of the load" is checked
                }
            });
            await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref writes) >= 4), Timeout, "the load to make writes");

            var rotate = await Ccctl.RunAsync(null, "--endpoints", cluster[leader].GrpcUrl, "-o", "json", "operator", "rotate-master", "--new-key-file", newKeyFile);
            Assert.True(rotate.Code == 0, rotate.Err + rotate.Out);
            var rotated = JsonNode.Parse(rotate.Out)!;
            Assert.Equal(1, rotated["generation"]!.GetValue<long>());
            Assert.True(rotated["dataKeys"]!.GetValue<int>() >= 2);
            Assert.Equal(2, rotated["transitKeyVersions"]!.GetValue<int>());
            var count = Volatile.Read(ref writes);
            await Eventually.WaitAsync(() => Task.FromResult(Volatile.Read(ref writes) >= count + 4), Timeout, "the load to go on after the rotation");
            await stop.CancelAsync();
            await load;

            // The rotating node and the prepared one switched; the other seals itself, saying why.
            await cluster.WaitForConvergenceAsync(Timeout);
            var (sealedStatus, sealedBody) = await cluster[unprepared].Http.GetJsonAsync("/config/rot.secret0");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, sealedStatus);
            Assert.Contains($"wrapped under master key {rotated["keyCheck"]!.GetValue<string>()}", sealedBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await cluster[unprepared].Http.GetJsonAsync("/config/load.plain1")).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await UnsealAsync(cluster[unprepared], oldKey)).Status);
            Assert.Equal(HttpStatusCode.OK, (await UnsealAsync(cluster[unprepared], newKey)).Status);

            foreach (var node in cluster.Nodes)
                await AssertEverythingReadableAsync(node, acknowledged, ambiguous, c1, c2);

            // The fingerprint key was carried over: the same plaintext fingerprints the same.
            await PutSecretAsync(http, "rot.same", "same-plaintext-1");
            Assert.Equal(fingerprintBefore, await FingerprintAsync(http, "rot.same", 2));

            // A node restarted with the old key is sealed (503) and still serves plain config.
            var node2 = cluster[unprepared];
            await node2.StopAsync();
            node2.Environment = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = oldKey };
            await cluster.StartNodeAsync(unprepared);
            await Eventually.WaitAsync(async () => (await node2.Http.GetJsonAsync("/config/load.plain1")).Status == HttpStatusCode.OK, Timeout, "the restarted node to serve plain config");
            var (oldKeyStatus, oldKeyBody) = await node2.Http.GetJsonAsync("/config/rot.secret1");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, oldKeyStatus);
            Assert.Contains("sealed", oldKeyBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await node2.Http.SendAsync(HttpMethod.Post, "/v1/transit/decrypt/rot", new JsonObject { ["ciphertext"] = c1 }.ToJsonString())).Status);

            // Restarted with the new key only, everything is readable again.
            await node2.StopAsync();
            node2.Environment = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = newKey };
            await cluster.StartNodeAsync(unprepared);
            await Eventually.WaitAsync(async () => (await node2.Http.GetJsonAsync("/config/rot.secret1")).Status == HttpStatusCode.OK, Timeout, "the node restarted with the new key to open secrets");
            await AssertEverythingReadableAsync(node2, acknowledged, ambiguous, c1, c2);
            await cluster.WaitForConvergenceAsync(Timeout);

            foreach (var node in cluster.Nodes)
            {
                Assert.DoesNotContain(newKey, node.Log, StringComparison.Ordinal);
                Assert.DoesNotContain(oldKey, node.Log, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(newKeyFile);
        }
    }

    [Fact]
    public async Task RotateMaster_BadInput_IsRefusedAndChangesNothing()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var cluster = await TestCluster.StartAsync(count: 1, environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = key });
        var http = cluster[0].Http;
        await PutSecretAsync(http, "bad.secret", "kept");
        foreach (var body in (string[])["not json", "{}", "{\"key\": 5}", "{\"key\": \"c2hvcnQ=\"}", "{\"key\": \"%%%\"}"])
        {
            var (status, answer) = await http.SendAsync(HttpMethod.Post, "/v1/sys/rotate-master", body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {(int)status} {answer?.ToJsonString()}");
        }

        var (same, sameBody) = await http.SendAsync(HttpMethod.Post, "/v1/sys/rotate-master", new JsonObject { ["key"] = key }.ToJsonString());
        Assert.True(same == HttpStatusCode.BadRequest, sameBody?.ToJsonString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await cluster[0].Anonymous.PostAsync("/v1/sys/rotate-master", new StringContent("{}"))).StatusCode);
        var (_, status0) = await http.GetJsonAsync("/v1/sys/rotate-master");
        Assert.Equal(0, status0!["generation"]!.GetValue<long>());
        Assert.Equal("kept", (await http.GetJsonAsync("/config/bad.secret")).Body!["value"]!.GetValue<string>());
        Assert.DoesNotContain(key, cluster[0].Log, StringComparison.Ordinal);
    }

    private static async Task AssertEverythingReadableAsync(NodeProcess node, IReadOnlyDictionary<string, string> acknowledged, IReadOnlyDictionary<string, bool> ambiguous, string c1, string c2)
    {
        for (var i = 0; i < 5; i++)
        {
            var (status, body) = await node.Http.GetJsonAsync($"/config/rot.secret{i}?consistency=linearizable");
            Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} rot.secret{i}: {(int)status} {body?.ToJsonString()}");
            Assert.Equal($"before-{i}", body!["value"]!.GetValue<string>());
        }

        foreach (var (key, value) in acknowledged)
        {
            var (status, body) = await node.Http.GetJsonAsync($"/config/{key}?consistency=linearizable");
            Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} {key}: {(int)status} {body?.ToJsonString()}");
            if (ambiguous.ContainsKey(key))
                Assert.StartsWith("value-", body!["value"]!.GetValue<string>(), StringComparison.Ordinal);
            else
                Assert.Equal(value, body!["value"]!.GetValue<string>());
        }

        foreach (var (ciphertext, plaintext) in new[] { (c1, "cm90YXRpb24tb25l"), (c2, "cm90YXRpb24tdHdv") })
        {
            var (status, body) = await node.Http.SendAsync(HttpMethod.Post, "/v1/transit/decrypt/rot", new JsonObject { ["ciphertext"] = ciphertext }.ToJsonString());
            Assert.True(status == HttpStatusCode.OK, $"{node.NodeId} decrypt: {(int)status} {body?.ToJsonString()}");
            Assert.Equal(plaintext, body!["data"]!["plaintext"]!.GetValue<string>());
        }

        Assert.StartsWith("vault:v2:", await EncryptAsync(node.Http, "YWZ0ZXI="), StringComparison.Ordinal);
    }

    private static async Task PutSecretAsync(HttpClient http, string key, string value)
    {
        var (status, body) = await http.PutJsonAsync($"/config/{key}", new JsonObject { ["value"] = value, ["secret"] = true }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"PUT {key}: {(int)status} {body?.ToJsonString()}");
    }

    private static async Task<string> EncryptAsync(HttpClient http, string plaintext)
    {
        var (status, body) = await http.SendAsync(HttpMethod.Post, "/v1/transit/encrypt/rot", new JsonObject { ["plaintext"] = plaintext }.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, $"encrypt: {(int)status} {body?.ToJsonString()}");
        return body!["data"]!["ciphertext"]!.GetValue<string>();
    }

    private static async Task<string> FingerprintAsync(HttpClient http, string key, long version)
    {
        var (_, history) = await http.GetJsonAsync($"/config/history/{key}");
        return history!["versions"]!.AsArray().Single(v => v!["version"]!.GetValue<long>() == version)!["fingerprint"]!.GetValue<string>();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> UnsealAsync(NodeProcess node, string key)
    {
        using var response = await node.Anonymous.PostAsync("/v1/sys/unseal", new StringContent(JsonSerializer.Serialize(new { key }), System.Text.Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
