using System.Net;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>
/// One 3-node cluster for the machine-login tests. Node n3's wall clock runs 90 minutes behind
/// (the test-only CONFIGCLUSTER_TEST_CLOCK_OFFSET), and it is kept a follower, so its tests show
/// that token expiry follows the log clock, not a node's own clock. A policy <c>app-read</c>
/// grants read on <c>app.*</c> and on the Vault paths <c>secret/app/*</c>.
/// </summary>
public sealed class MachineLoginCluster : IAsyncLifetime
{
    public const int SkewedNode = 2;
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(-90);

    internal TestCluster Cluster { get; private set; } = null!;

    internal TestJwt Keys { get; } = new();

    public async Task InitializeAsync()
    {
        var masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Cluster = await TestCluster.StartAsync(beforeFirstStart: node =>
        {
            var environment = new Dictionary<string, string> { ["CONFIGCLUSTER_MASTER_KEY"] = masterKey };
            if (node.NodeId == "n3")
                environment["CONFIGCLUSTER_TEST_CLOCK_OFFSET"] = ((long)Skew.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            node.Environment = environment;
            return Task.CompletedTask;
        });
        // A leader 90 minutes behind would only stall the log clock (it never goes back); keep it a follower.
        if (await Cluster.WaitForLeaderAsync(TestCluster.StartTimeout) == SkewedNode)
        {
            var (status, _) = await Cluster[SkewedNode].Http.SendAsync(HttpMethod.Post, "/cluster/leader/transfer?to=n1");
            Assert.Equal(HttpStatusCode.OK, status);
            await Eventually.WaitAsync(async () => await Cluster.WaitForLeaderAsync(TestCluster.StartTimeout) != SkewedNode, TestCluster.StartTimeout, "leadership to leave the skewed node");
        }

        // Until an entry of the new leader's clock reaches it, the skewed node judges time by an entry
        // the skewed node entered while it led (or by its own clock): wait until it reads the real time.
        foreach (var node in Cluster.Nodes)
        {
            await Eventually.WaitAsync(async () =>
            {
                var (_, status) = await node.Http.SendAsync(HttpMethod.Get, "/cluster/status");
                return status?["logClock"]?.GetValue<DateTimeOffset>() is { } logClock && (logClock - DateTimeOffset.UtcNow).Duration() < TimeSpan.FromSeconds(10);
            }, TestCluster.StartTimeout, "the log clock of " + node.NodeId + " to read the leader's time");
        }

        var (policy, body) = await Cluster[0].Http.SendAsync(HttpMethod.Put, "/acl/policies/app-read",
            "{\"rules\": [{\"path\": \"app.*\", \"namespace\": \"*\", \"environment\": \"*\", \"capabilities\": [\"read\", \"list\"]}, {\"path\": \"secret/app/*\", \"namespace\": \"*\", \"environment\": \"*\", \"capabilities\": [\"read\", \"list\"]}]}");
        Assert.True(policy == HttpStatusCode.OK, body?.ToJsonString());
        Assert.Contains("CONFIGCLUSTER_TEST_CLOCK_OFFSET", Cluster[SkewedNode].Log);
    }

    public async Task DisposeAsync()
    {
        Keys.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>The tests that share <see cref="MachineLoginCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class MachineLoginCollection : ICollectionFixture<MachineLoginCluster>
{
    public const string Name = "machine login cluster";
}
