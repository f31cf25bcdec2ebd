using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>README "Secrets": a node without a master key is sealed; <c>--master-key-file</c> unseals it.</summary>
public sealed partial class ReadmePromiseTests
{
    [Fact]
    public async Task NodeWithoutMasterKey_AnswersASecretWrite503Sealed_AndServesPlainConfig()
    {
        // The harness gives nodes no CONFIGCLUSTER_MASTER_KEY unless a test asks for one.
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var http = cluster[0].Http;

        var (status, body) = await http.PutJsonAsync("/config/db.password", "{\"value\": \"hunter2\", \"secret\": true}");

        AssertStatus(HttpStatusCode.ServiceUnavailable, (status, body), "secret write on a node without a master key");
        Assert.True(body!["sealed"]!.GetValue<bool>());
        Assert.Contains("no master key", body["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", body.ToJsonString(), StringComparison.Ordinal);
        AssertStatus(HttpStatusCode.NotFound, await http.GetJsonAsync("/config/db.password"), "the refused secret");
        await http.MustPutAsync("app.mode", "plain");
        Assert.Equal("plain", (await http.GetJsonAsync("/config/app.mode")).Body!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task MasterKeyFile_UnsealsTheNode_AndTheSecretStillOpensAfterARestart()
    {
        var directory = TempDirectory("cc-mkf-");
        try
        {
            // As `head -c 32 /dev/urandom | base64 > master.key` writes it: with a trailing newline.
            var keyFile = Path.Combine(directory, "master.key");
            await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--master-key-file", keyFile]);
            var http = cluster[0].Http;

            var (status, body) = await http.PutJsonAsync("/config/db.password", "{\"value\": \"hunter2\", \"secret\": true}");
            AssertStatus(HttpStatusCode.OK, (status, body), "secret write with --master-key-file");
            Assert.Equal("hunter2", (await http.GetJsonAsync("/config/db.password")).Body!["value"]!.GetValue<string>());

            await cluster.RestartNodeAsync(0);
            await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
            var (afterStatus, after) = await http.GetJsonAsync("/config/db.password");
            AssertStatus(HttpStatusCode.OK, (afterStatus, after), "secret read after a restart with the same key file");
            Assert.Equal("hunter2", after!["value"]!.GetValue<string>());

            // Another key in the file: the node is sealed for that secret, and says so.
            await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            await cluster.RestartNodeAsync(0);
            await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
            var (sealedStatus, sealedBody) = await http.GetJsonAsync("/config/db.password");
            AssertStatus(HttpStatusCode.ServiceUnavailable, (sealedStatus, sealedBody), "secret read under another master key");
            Assert.True(sealedBody!["sealed"]!.GetValue<bool>());
            Assert.DoesNotContain("hunter2", sealedBody.ToJsonString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
