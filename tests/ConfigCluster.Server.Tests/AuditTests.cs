using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Contracts.Audit;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Core;

namespace ConfigCluster.Server.Tests;

/// <summary>The audit trail: an HMAC chain across rotated files, checkpoints through the log, and a sink that fails closed.</summary>
public sealed class AuditTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string AuditFile(NodeProcess node) => Path.Combine(node.DataDirectory, "audit", "audit.jsonl");

    private static async Task<JsonNode> VerifyAsync(NodeProcess node)
    {
        var (status, body) = await node.Http.GetJsonAsync("/audit/verify");
        Assert.Equal(HttpStatusCode.OK, status);
        return body!;
    }

    private static async Task RestartAsync(TestCluster cluster)
    {
        await cluster.RestartNodeAsync(0);
        await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
        await cluster.WaitForAccessAsync();
    }

    private static async Task MakeRequestsAsync(NodeProcess node, int count)
    {
        for (var i = 0; i < count; i++)
            await node.Http.GetJsonAsync($"/config/k{i}");
    }

    [Fact]
    public async Task AuditVerify_RemovedLine_IsDetected()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        await MakeRequestsAsync(cluster[0], 6);
        Assert.True((await VerifyAsync(cluster[0]))["ok"]!.GetValue<bool>());

        await cluster[0].StopAsync();
        var lines = (await File.ReadAllLinesAsync(AuditFile(cluster[0]))).ToList();
        lines.RemoveAt(3);
        await File.WriteAllLinesAsync(AuditFile(cluster[0]), lines);
        await RestartAsync(cluster);

        var verdict = await VerifyAsync(cluster[0]);
        Assert.False(verdict["ok"]!.GetValue<bool>());
        Assert.Equal(4, verdict["firstBadLine"]!.GetValue<long>());
    }

    [Fact]
    public async Task AuditVerify_FileRewrittenWithRecomputedPlainHashes_IsDetected()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        await MakeRequestsAsync(cluster[0], 4);
        await cluster[0].StopAsync();

        // What an attacker without the audit key can do: edit a line and recompute every
        // "MAC" as a plain SHA-256 of the previous one and the line.
        var previous = AuditChain.Genesis;
        var rewritten = new List<string>();
        foreach (var line in await File.ReadAllLinesAsync(AuditFile(cluster[0])))
        {
            Assert.True(AuditChain.TryOpen(line, out var body, out _));
            body = body.Replace("\"allow\"", "\"deny\"", StringComparison.Ordinal);
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(previous + "\n" + body)));
            rewritten.Add(AuditChain.Seal(body, hash));
            previous = hash;
        }

        await File.WriteAllLinesAsync(AuditFile(cluster[0]), rewritten);
        await RestartAsync(cluster);

        var verdict = await VerifyAsync(cluster[0]);
        Assert.False(verdict["ok"]!.GetValue<bool>());
        Assert.Equal(1, verdict["firstBadLine"]!.GetValue<long>());
    }

    [Fact]
    public async Task AuditVerify_TruncatedTail_IsDetectedByTheReplicatedCheckpoint()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, environment: new Dictionary<string, string> { ["ConfigCluster__Audit__CheckpointInterval"] = "00:00:00.2" });
        await MakeRequestsAsync(cluster[0], 12);
        await Eventually.WaitAsync(async () => (await VerifyAsync(cluster[0]))["checkpoint"]?["lines"]?.GetValue<long>() >= 12, Timeout, "a checkpoint of 12 or more lines to be replicated");

        await cluster[0].StopAsync();
        var lines = await File.ReadAllLinesAsync(AuditFile(cluster[0]));
        await File.WriteAllLinesAsync(AuditFile(cluster[0]), lines.Take(3));
        await RestartAsync(cluster);

        // Every line left is intact: only the checkpoint in the log shows what is missing.
        var verdict = await VerifyAsync(cluster[0]);
        Assert.False(verdict["ok"]!.GetValue<bool>());
        Assert.Contains("checkpoint", verdict["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditSink_DirectoryRemoved_RequestsAnswer503_AndNothingIsServedUnaudited()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1);
        var node = cluster[0];
        await node.Http.MustPutAsync("guarded", 1);

        var directory = Path.Combine(node.DataDirectory, "audit");
        Directory.Delete(directory, recursive: true);

        var (putStatus, putBody) = await node.Http.PutValueAsync("guarded", 2);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, putStatus);
        Assert.Contains("audit", putBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await node.Http.GetJsonAsync("/config/guarded")).Status);
        var kv = new KV.KVClient(node.Grpc);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new GetRequest { Path = new KeyPath { Key = "guarded" } }));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        // Once the directory is back, requests are served (and audited) again; the refused write never happened.
        Directory.CreateDirectory(directory);
        var (status, body) = await node.Http.GetJsonAsync("/config/guarded");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body!["value"]!.GetValue<int>());
        Assert.True(File.Exists(AuditFile(node)));
        Assert.False((await VerifyAsync(node))["ok"]!.GetValue<bool>()); // the lines that were removed with the directory are missing
    }

    [Fact]
    public async Task AuditLog_RotatesBySize_AndTheChainContinuesAcrossFiles()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, environment: new Dictionary<string, string> { ["ConfigCluster__Audit__MaxFileBytes"] = "4096" });
        await MakeRequestsAsync(cluster[0], 40);

        var directory = Path.Combine(cluster[0].DataDirectory, "audit");
        Assert.True(Directory.GetFiles(directory, "audit.*.jsonl").Length >= 2);
        Assert.All(Directory.GetFiles(directory), f => Assert.True(new FileInfo(f).Length <= 4096));
        var verdict = await VerifyAsync(cluster[0]);
        Assert.True(verdict["ok"]!.GetValue<bool>(), verdict.ToJsonString());
        Assert.True(verdict["lines"]!.GetValue<long>() >= 40);

        var secretFile = Path.Combine(cluster[0].DataDirectory, "cluster.secret");
        var offline = await Ccctl.RunAsync(null, "audit", "verify", directory, "--cluster-secret-file", secretFile);
        Assert.True(offline.Code == 0, offline.Err);
        var other = Path.Combine(cluster[0].DataDirectory, "other.secret");
        await File.WriteAllTextAsync(other, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.NotEqual(0, (await Ccctl.RunAsync(null, "audit", "verify", directory, "--cluster-secret-file", other)).Code);
    }
}
