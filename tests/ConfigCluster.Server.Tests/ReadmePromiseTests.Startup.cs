using System.Net;
using System.Net.Sockets;
using ConfigCluster.Contracts.V1;
using ConfigCluster.Server.Tests.Harness;
using Grpc.Net.Client;

namespace ConfigCluster.Server.Tests;

/// <summary>README "Running a node": <c>--dev</c>, options from <c>CONFIGCLUSTER_*</c> variables, <c>--metrics-open</c>, JSON seed files, readiness.</summary>
public sealed partial class ReadmePromiseTests
{
    [Fact]
    public async Task Dev_RunsOneNodeOnTheDocumentedPorts_InTheWorkingDirectory_WithAGeneratedTokenAndMasterKey()
    {
        foreach (var port in (int[])[7001, 7002, 7003])
            Assert.True(IsFree(port), $"port {port} is in use by another process; --dev listens on 7001-7003");
        var directory = TempDirectory("cc-dev-");
        try
        {
            // No CONFIGCLUSTER_* variable at all: no bootstrap token, no master key, no cluster secret.
            await using (var node = BareNode.Start(["--dev"], new Dictionary<string, string>(), directory))
            {
                await node.WaitUntilLiveAsync("http://127.0.0.1:7001", TestCluster.StartTimeout);
                var token = await node.WaitForLineAsync("development " + TokenMarker, TestCluster.StartTimeout);
                Assert.Contains("DEVELOPMENT MODE", node.Log, StringComparison.Ordinal);

                using var http = BareNode.Client("http://127.0.0.1:7001", token);
                var put = await http.PutJsonAsync("/config/dev.password", "{\"value\": \"s3cret\", \"secret\": true}");
                AssertStatus(HttpStatusCode.OK, put, "a secret write in dev mode (master key generated)");
                Assert.Equal("s3cret", (await http.GetJsonAsync("/config/dev.password")).Body!["value"]!.GetValue<string>());

                var (_, status) = await http.GetJsonAsync("/cluster/status");
                Assert.Equal("dev", status!["nodeId"]!.GetValue<string>());
                Assert.Equal("127.0.0.1:7003", status["members"]!.AsArray().Single()!["raft"]!.GetValue<string>());
                using var channel = GrpcChannel.ForAddress("http://127.0.0.1:7002");
                var grpcStatus = await new Cluster.ClusterClient(channel).StatusAsync(new StatusRequest());
                Assert.Equal(("dev", "leader", "dev"), (grpcStatus.NodeId, grpcStatus.Role, grpcStatus.LeaderId));
            }

            var data = Path.Combine(directory, ".configcluster-dev");
            Assert.True(Directory.Exists(Path.Combine(data, "wal")), "the WAL under ./.configcluster-dev");
            Assert.True(File.Exists(Path.Combine(data, "dev-master.key")), "the generated master key under ./.configcluster-dev");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Options_FromConfigclusterVariables_StartANode_OpenMetricsAndLimitValues_CommandLineWins()
    {
        var directory = TempDirectory("cc-env-");
        try
        {
            var (httpPort, grpcPort, raftPort) = (PortAllocator.Next(), PortAllocator.Next(), PortAllocator.Next());
            var url = $"http://127.0.0.1:{httpPort}";
            var environment = new Dictionary<string, string>
            {
                ["CONFIGCLUSTER_NODE_ID"] = "from-env",
                ["CONFIGCLUSTER_HTTP"] = url,
                ["CONFIGCLUSTER_GRPC"] = $"http://127.0.0.1:{grpcPort}",
                ["CONFIGCLUSTER_RAFT"] = $"127.0.0.1:{raftPort}",
                ["CONFIGCLUSTER_MEMBERS"] = $"127.0.0.1:{raftPort}",
                ["CONFIGCLUSTER_DATA_DIR"] = Path.Combine(directory, "data"),
                ["CONFIGCLUSTER_MAX_VALUE_BYTES"] = "64",
                ["CONFIGCLUSTER_METRICS_OPEN"] = "true",
                ["CONFIGCLUSTER_BOOTSTRAP_TOKEN"] = NodeProcess.AdminToken,
                ["CONFIGCLUSTER_CLUSTER_SECRET"] = NodeProcess.ClusterSecret,
            };
            await using var node = BareNode.Start(["--node-id", "from-cli"], environment, directory);
            await node.WaitUntilLiveAsync(url, TestCluster.StartTimeout);
            using var admin = BareNode.Client(url, NodeProcess.AdminToken);
            using var anonymous = BareNode.Client(url, null);
            await Eventually.WaitAsync(async () => (await admin.GetJsonAsync("/config?limit=1")).Status == HttpStatusCode.OK, TestCluster.StartTimeout, "the node to lead and accept its bootstrap token");

            var (_, status) = await admin.GetJsonAsync("/cluster/status");
            Assert.Equal("from-cli", status!["nodeId"]!.GetValue<string>());
            Assert.Equal($"127.0.0.1:{raftPort}", status["members"]!.AsArray().Single()!["raft"]!.GetValue<string>());
            Assert.True(Directory.Exists(Path.Combine(directory, "data", "wal")), "the WAL in CONFIGCLUSTER_DATA_DIR");
            AssertStatus(HttpStatusCode.OK, await admin.PutValueAsync("env.small", "fits"), "a value under CONFIGCLUSTER_MAX_VALUE_BYTES");
            AssertStatus(HttpStatusCode.RequestEntityTooLarge, await admin.PutValueAsync("env.big", new string('x', 100)), "a value over CONFIGCLUSTER_MAX_VALUE_BYTES");

            using var metrics = await anonymous.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("configcluster_raft_term", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            AssertStatus(HttpStatusCode.Unauthorized, await anonymous.GetJsonAsync("/config/env.small"), "keys still need a token");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task SeedFile_InJson_IsImportedFlattened_AndImportingItAgainCreatesNoNewVersions()
    {
        var directory = TempDirectory("cc-seed-");
        try
        {
            var seed = Path.Combine(directory, "seed.json");
            await File.WriteAllTextAsync(seed, """{"database": {"host": "db1", "port": 5432, "replica": {"count": 2}}, "features": ["a", "b"], "name": "007", "off": false}""");
            await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--seed-file", seed]);
            var http = cluster[0].Http;
            await Eventually.WaitAsync(() => cluster[0].Log.Contains("Seed file:", StringComparison.Ordinal), Timeout, "the seed import to finish");

            var (_, listed) = await http.GetJsonAsync("/config?prefix=");
            Assert.Equal(["database.host", "database.port", "database.replica.count", "features", "name", "off"],
                listed!["items"]!.AsArray().Select(static i => i!["key"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            Assert.Equal("db1", (await http.GetJsonAsync("/config/database.host")).Body!["value"]!.GetValue<string>());
            Assert.Equal(5432, (await http.GetJsonAsync("/config/database.port")).Body!["value"]!.GetValue<int>());
            Assert.Equal(2, (await http.GetJsonAsync("/config/database.replica.count")).Body!["value"]!.GetValue<int>());
            Assert.Equal(["a", "b"], (await http.GetJsonAsync("/config/features")).Body!["value"]!.AsArray().Select(static v => v!.GetValue<string>()));
            Assert.Equal("007", (await http.GetJsonAsync("/config/name")).Body!["value"]!.GetValue<string>());
            Assert.False((await http.GetJsonAsync("/config/off")).Body!["value"]!.GetValue<bool>());

            await cluster.RestartNodeAsync(0);
            await cluster.WaitForLeaderAsync(TestCluster.StartTimeout);
            await Eventually.WaitAsync(() => cluster[0].Log.Split('\n').Count(static l => l.Contains("Seed file:", StringComparison.Ordinal)) >= 2, Timeout, "the second import to finish");
            Assert.Contains(cluster[0].Log.Split('\n'), static l => l.Contains("Seed file: 6 keys, 0 written, 6 unchanged, 0 failed", StringComparison.Ordinal));
            foreach (var key in (string[])["database.host", "database.replica.count", "features"])
                Assert.Equal([1L], Versions((await http.GetJsonAsync($"/config/history/{key}")).Body));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task HealthReady_BeforeAnyLeaderExists_Is503_AndOnceOneIsElected200()
    {
        NodeProcess? first = null;
        var seenNotReady = false;
        await using var cluster = await TestCluster.StartAsync(count: 3, beforeFirstStart: async node =>
        {
            if (node.NodeId == "n1")
            {
                first = node;
                return;
            }

            if (node.NodeId != "n2")
                return;
            // Only n1 runs: one member of three cannot elect a leader, so there is none yet.
            await first!.WaitUntilLiveAsync(TestCluster.StartTimeout);
            var (status, body) = await first.Anonymous.GetJsonAsync("/health/ready");
            AssertStatus(HttpStatusCode.ServiceUnavailable, (status, body), "/health/ready of a lone member of three");
            Assert.False(body!["leaderKnown"]!.GetValue<bool>());
            Assert.Null((await first.Anonymous.GetJsonAsync("/cluster/status")).Body!["leaderId"]?.GetValue<string>());
            seenNotReady = true;
        });

        Assert.True(seenNotReady);
        foreach (var node in cluster.Nodes)
            await Eventually.WaitAsync(async () => (await node.Anonymous.GetJsonAsync("/health/ready")).Status == HttpStatusCode.OK, Timeout, $"{node.NodeId} to be ready");
        Assert.True((await cluster[0].Anonymous.GetJsonAsync("/health/ready")).Body!["leaderKnown"]!.GetValue<bool>());
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
