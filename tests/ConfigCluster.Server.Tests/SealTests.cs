using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Emergency seal and unseal (with the master key, or share by share) on a running node.</summary>
public sealed class SealTests
{
    [Fact]
    public async Task Seal_ForgetsTheKeyAtOnce_AndUnsealWorksWithTheKeyOrEnoughShares()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await using var cluster = await TestCluster.StartAsync(count: 1, environment: new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = Convert.ToBase64String(key) });
        var node = cluster[0];
        Assert.Equal(HttpStatusCode.OK, (await node.Http.PutJsonAsync("/config/seal.secret", "{\"value\": \"s3cr3t-value-91\", \"secret\": true}")).Status);
        await node.Http.MustPutAsync("seal.plain", "visible");

        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Anonymous.PostAsync("/v1/sys/seal", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await node.Http.SendAsync(HttpMethod.Post, "/v1/sys/seal")).Status);
        await AssertSealedAsync(node);

        // A wrong key is refused and changes nothing.
        var (wrongStatus, wrong) = await UnsealAsync(node, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(HttpStatusCode.BadRequest, wrongStatus);
        Assert.Contains("does not open", wrong.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
        await AssertSealedAsync(node);

        // Shares: two of three needed leave it sealed (with progress), the third unseals.
        var keyFile = Path.Combine(Path.GetTempPath(), $"cc-seal-{Guid.NewGuid():N}.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(key));
        var split = await Ccctl.RunAsync(null, "operator", "split-key", keyFile, "--shares", "5", "--threshold", "3");
        File.Delete(keyFile);
        Assert.True(split.Code == 0, split.Err);
        var shares = split.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(5, shares.Length);
        Assert.Equal(key, KeyShares.Combine([shares[0], shares[3], shares[2]]));
        var (_, first) = await UnsealAsync(node, shares[4]);
        Assert.True(first.GetProperty("sealed").GetBoolean());
        Assert.Equal((3, 5, 1), (first.GetProperty("t").GetInt32(), first.GetProperty("n").GetInt32(), first.GetProperty("progress").GetInt32()));
        var (_, second) = await UnsealAsync(node, shares[1]);
        Assert.Equal(2, second.GetProperty("progress").GetInt32());
        await AssertSealedAsync(node);
        var (thirdStatus, third) = await UnsealAsync(node, shares[2]);
        Assert.Equal(HttpStatusCode.OK, thirdStatus);
        Assert.False(third.GetProperty("sealed").GetBoolean());
        Assert.Equal("s3cr3t-value-91", (await node.Http.GetJsonAsync("/config/seal.secret")).Body!["value"]!.GetValue<string>());

        // And with the key itself.
        Assert.Equal(HttpStatusCode.NoContent, (await node.Http.SendAsync(HttpMethod.Post, "/v1/sys/seal")).Status);
        await AssertSealedAsync(node);
        var (keyStatus, unsealed) = await UnsealAsync(node, Convert.ToBase64String(key));
        Assert.Equal(HttpStatusCode.OK, keyStatus);
        Assert.False(unsealed.GetProperty("sealed").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetJsonAsync("/config/seal.secret")).Status);
        Assert.DoesNotContain("s3cr3t-value-91", node.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(key), node.Log, StringComparison.Ordinal);
    }

    private static async Task AssertSealedAsync(NodeProcess node)
    {
        var (status, body) = await node.Http.GetJsonAsync("/config/seal.secret");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("sealed", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetJsonAsync("/config/seal.plain")).Status);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> UnsealAsync(NodeProcess node, string key)
    {
        using var response = await node.Anonymous.PostAsync("/v1/sys/unseal", new StringContent(JsonSerializer.Serialize(new { key }), System.Text.Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
