using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Faces;

/// <summary>
/// The Vault face against a three-node cluster, through a follower: the unchanged npm node-vault
/// client (tests/clients/faces/vault-kv-v2.js), Vault's status codes and error shapes for bad input
/// (which changes nothing), and KV v2 secrets never on disk or in logs in plain text.
/// </summary>
[Collection(VaultClusterCollection.Name)]
public sealed class VaultFaceTests(VaultCluster fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NodeVaultClient_KvV2TokensAndHealth_WorkThroughAFollower()
    {
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()];
        var (code, output) = await NodeClients.RunAsync("vault-kv-v2.js", new Dictionary<string, string>
        {
            ["VAULT_ADDR"] = follower.HttpUrl,
            ["VAULT_TOKEN"] = NodeProcess.AdminToken,
        }, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"node-vault script failed ({code}):\n{output}");
        Assert.Contains("all steps passed", output);
    }

    [Fact]
    public async Task BadInput_GetsVaultCodesAndShapes_AndChangesNothing()
    {
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()];
        using var http = VaultClient(follower, NodeProcess.AdminToken);
        var (status, written) = await SendAsync(http, HttpMethod.Post, "/v1/secret/data/bad-input/db", "{\"data\": {\"password\": \"first\"}}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, written!["data"]!["version"]!.GetValue<long>());

        var cases = new (HttpMethod Method, string Path, string? Body, HttpStatusCode Status, string? Error)[]
        {
            (HttpMethod.Get, "/v1/nope/data/x", null, HttpStatusCode.NotFound, "no handler for route \"nope/data/x\". route entry not found."),
            (HttpMethod.Post, "/v1/nope/data/x", "{\"data\": {\"a\": \"b\"}}", HttpStatusCode.NotFound, "no handler for route \"nope/data/x\". route entry not found."),
            (HttpMethod.Post, "/v1/secret/data/bad-input/db", "{\"options\": {\"cas\": 7}, \"data\": {\"password\": \"second\"}}", HttpStatusCode.BadRequest, "check-and-set parameter did not match the current version"),
            (HttpMethod.Post, "/v1/secret/data/bad-input/db", "{\"data\": {\"password\": ", HttpStatusCode.BadRequest, "failed to parse JSON input: invalid JSON"),
            (HttpMethod.Post, "/v1/secret/data/bad-input/db", "{\"password\": \"second\"}", HttpStatusCode.BadRequest, "no data provided"),
            (HttpMethod.Post, "/v1/secret/data/bad-input/db", "[1, 2]", HttpStatusCode.BadRequest, "failed to parse JSON input: the body must be a JSON object"),
            (HttpMethod.Get, "/v1/secret/data/bad-input/db?version=9", null, HttpStatusCode.NotFound, null),
            (HttpMethod.Get, "/v1/secret/data/bad-input/none", null, HttpStatusCode.NotFound, null),
            (HttpMethod.Post, "/v1/secret/destroy/bad-input/db", "{\"versions\": \"1\"}", HttpStatusCode.BadRequest, "versions must be a list of version numbers"),
            (HttpMethod.Post, "/v1/sys/mounts/other", "{\"type\": \"kv\", \"options\": {\"version\": \"1\"}}", HttpStatusCode.BadRequest, "only KV version 2 is supported: set options.version to \"2\""),
            (HttpMethod.Post, "/v1/sys/mounts/sys", "{\"type\": \"kv\", \"options\": {\"version\": \"2\"}}", HttpStatusCode.BadRequest, "cannot mount at 'sys/': the path is reserved"),
        };
        foreach (var (method, path, body, expected, error) in cases)
        {
            var (got, answer) = await SendAsync(http, method, path, body);
            Assert.True(expected == got, $"{method} {path}: {(int)got}, expected {(int)expected}: {answer?.ToJsonString()}");
            var errors = answer!["errors"]!.AsArray().Select(static e => e!.GetValue<string>()).ToList();
            Assert.Equal(error is null ? [] : [error], errors);
        }

        var (readStatus, read) = await SendAsync(http, HttpMethod.Get, "/v1/secret/data/bad-input/db", null);
        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.Equal("first", read!["data"]!["data"]!["password"]!.GetValue<string>());
        var (_, metadata) = await SendAsync(http, HttpMethod.Get, "/v1/secret/metadata/bad-input/db", null);
        Assert.Equal(1, metadata!["data"]!["current_version"]!.GetValue<long>());
        var (_, mounts) = await SendAsync(http, HttpMethod.Get, "/v1/sys/mounts", null);
        Assert.Equal(["secret/"], mounts!["data"]!.AsObject().Select(static p => p.Key).ToList());

        // A token without the capability: 403 in Vault's shape; no token: 401 in the same shape.
        using var stranger = VaultClient(follower, "cc_not_a_token_0123456789abcdef0123456");
        var (denied, deniedBody) = await SendAsync(stranger, HttpMethod.Get, "/v1/secret/data/bad-input/db", null);
        Assert.Equal(HttpStatusCode.Unauthorized, denied);
        Assert.NotNull(deniedBody!["errors"]);

        // Health: 429 on a standby unless standbyok; 200 on the leader.
        var leader = fixture.Cluster[await fixture.Cluster.WaitForLeaderAsync(Timeout)];
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(follower.Anonymous, HttpMethod.Get, "/v1/sys/health", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(follower.Anonymous, HttpMethod.Get, "/v1/sys/health?standbyok=true", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(leader.Anonymous, HttpMethod.Get, "/v1/sys/health", null)).Status);
    }

    [Fact]
    public async Task KvV2Secret_NeverInPlainTextInDataDirsOrLogs()
    {
        var marker = "VAULTMARK" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()];
        using var http = VaultClient(follower, NodeProcess.AdminToken);
        for (var i = 0; i < 3; i++)
        {
            var (status, _) = await SendAsync(http, HttpMethod.Post, "/v1/secret/data/scan/api-key", $"{{\"data\": {{\"value\": \"{marker}-{i}\"}}}}");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        // Enough writes for snapshots (--snapshot-interval 50), then a soft delete and a destroy.
        for (var i = 0; i < 60; i++)
            await fixture.Cluster[i % 3].Http.MustPutAsync($"filler.vault{i % 20}", i);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(http, HttpMethod.Post, "/v1/secret/delete/scan/api-key", "{\"versions\": [3]}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(http, HttpMethod.Post, "/v1/secret/destroy/scan/api-key", "{\"versions\": [1]}")).Status);
        var (readStatus, read) = await SendAsync(http, HttpMethod.Get, "/v1/secret/data/scan/api-key?version=2", null);
        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.Equal($"{marker}-1", read!["data"]!["data"]!["value"]!.GetValue<string>());

        // History and audit show metadata only.
        var (_, history) = await fixture.Cluster[0].Http.GetJsonAsync("/config/history/secret/scan/api-key");
        Assert.DoesNotContain(marker, history!.ToJsonString());
        await fixture.Cluster.WaitForConvergenceAsync(Timeout);

        var needles = new[] { marker, Convert.ToBase64String(Encoding.UTF8.GetBytes(marker))[..12] };
        foreach (var node in fixture.Cluster.Nodes)
        {
            var files = Directory.GetFiles(node.DataDirectory, "*", SearchOption.AllDirectories);
            Assert.True(files.Length > 3);
            await foreach (var (file, bytes) in DataFiles.ReadAllAsync(node.DataDirectory))
            {
                foreach (var needle in needles)
                    Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0, $"a KV v2 secret was found in {file}");
            }

            Assert.DoesNotContain(marker, node.Log);
        }
    }

    [Fact]
    public async Task SlashPaths_WorkInHttpCcctlAndSdk_AndVaultDeletionsHideTheValue()
    {
        var secret = "slash-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()];
        using var vault = VaultClient(follower, NodeProcess.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(vault, HttpMethod.Post, "/v1/secret/data/tools/db", $"{{\"data\": {{\"password\": \"{secret}\"}}}}")).Status);

        // HTTP: slash keys in /config routes; history shows metadata only.
        var http = follower.Http;
        var (status, got) = await http.GetJsonAsync("/config/secret/tools/db");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(secret, got!["value"]!["password"]!.GetValue<string>());
        Assert.True(got["secret"]!.GetValue<bool>());
        var (historyStatus, history) = await http.GetJsonAsync("/config/history/secret/tools/db");
        Assert.Equal(HttpStatusCode.OK, historyStatus);
        Assert.False(history!.ToJsonString().Contains(secret, StringComparison.Ordinal), "history shows metadata only");
        await http.MustPutAsync("app/plain/host", "db.internal");
        Assert.Equal("db.internal", (await http.GetJsonAsync("/config/app/plain/host")).Body!["value"]!.GetValue<string>());

        // ccctl (gRPC through the SDK): get reveals to an authorized caller, list and history do not.
        var (getCode, getOut, _) = await Ccctl.RunAsync(fixture.Cluster, "get", "secret/tools/db");
        Assert.Equal(0, getCode);
        Assert.True(getOut.Contains(secret, StringComparison.Ordinal), "ccctl get shows the secret's data");
        var (listCode, listOut, _) = await Ccctl.RunAsync(fixture.Cluster, "list", "secret/tools/");
        Assert.Equal(0, listCode);
        Assert.Contains("secret/tools/db", listOut);
        Assert.False(listOut.Contains(secret, StringComparison.Ordinal), "ccctl list shows metadata only");
        var (historyCode, historyOut, _) = await Ccctl.RunAsync(fixture.Cluster, "history", "secret/tools/db");
        Assert.Equal(0, historyCode);
        Assert.False(historyOut.Contains(secret, StringComparison.Ordinal), "ccctl history shows metadata only");

        // A version soft-deleted through the Vault face is not served by ConfigCluster's own routes either.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(vault, HttpMethod.Delete, "/v1/secret/data/tools/db", null)).Status);
        var (deletedStatus, deleted) = await http.GetJsonAsync("/config/secret/tools/db");
        Assert.Equal(HttpStatusCode.NotFound, deletedStatus);
        Assert.False(deleted!.ToJsonString().Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task VaultNamespaceHeader_SelectsTheConfigClusterNamespace()
    {
        var follower = fixture.Cluster[await fixture.Cluster.FollowerAsync()];
        using var teamA = VaultClient(follower, NodeProcess.AdminToken);
        teamA.DefaultRequestHeaders.Add("X-Vault-Namespace", "team-a/");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(teamA, HttpMethod.Post, "/v1/secret/data/ns-test/db", "{\"data\": {\"user\": \"a\"}}")).Status);
        Assert.Equal("a", (await SendAsync(teamA, HttpMethod.Get, "/v1/secret/data/ns-test/db", null)).Body!["data"]!["data"]!["user"]!.GetValue<string>());
        Assert.Equal(["db"], (await SendAsync(teamA, new HttpMethod("LIST"), "/v1/secret/metadata/ns-test", null)).Body!["data"]!["keys"]!.AsArray().Select(static k => k!.GetValue<string>()));

        using var plain = VaultClient(follower, NodeProcess.AdminToken);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(plain, HttpMethod.Get, "/v1/secret/data/ns-test/db", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await follower.Http.GetJsonAsync("/config/secret/ns-test/db?ns=team-a")).Status);

        using var nested = VaultClient(follower, NodeProcess.AdminToken);
        nested.DefaultRequestHeaders.Add("X-Vault-Namespace", "Team/A");
        var (status, body) = await SendAsync(nested, HttpMethod.Post, "/v1/secret/data/ns-test/db", "{\"data\": {\"user\": \"b\"}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("namespace", body!["errors"]![0]!.GetValue<string>());
    }

    private static HttpClient VaultClient(NodeProcess node, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Vault-Token", token);
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
