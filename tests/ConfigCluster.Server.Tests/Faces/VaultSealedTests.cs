using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>A node without the master key is sealed for secrets: Vault's health says 503, and KV v2 writes are refused in Vault's shape.</summary>
public sealed class VaultSealedTests
{
    [Fact]
    public async Task SealedNode_HealthIs503_SealStatusSealed_AndKvWritesRefused()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        await cluster.WaitForAccessAsync();
        var node = cluster[0];

        using var health = await node.Anonymous.GetAsync("/v1/sys/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var body = JsonNode.Parse(await health.Content.ReadAsStringAsync())!;
        Assert.True(body["sealed"]!.GetValue<bool>());
        Assert.True(body["initialized"]!.GetValue<bool>());
        using (var custom = await node.Anonymous.GetAsync("/v1/sys/health?sealedcode=200"))
            Assert.Equal(HttpStatusCode.OK, custom.StatusCode);
        var seal = JsonNode.Parse(await node.Anonymous.GetStringAsync("/v1/sys/seal-status"))!;
        Assert.True(seal["sealed"]!.GetValue<bool>());

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/secret/data/app/db") { Content = new StringContent("{\"data\": {\"password\": \"p\"}}", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Vault-Token", NodeProcess.AdminToken);
        using var write = await node.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        Assert.Equal("Vault is sealed", JsonNode.Parse(await write.Content.ReadAsStringAsync())!["errors"]![0]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetJsonAsync("/config/secret/app/db")).Status);
    }
}
