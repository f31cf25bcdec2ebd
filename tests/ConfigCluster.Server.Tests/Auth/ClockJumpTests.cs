using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Auth;

/// <summary>
/// A node whose wall clock jumps while it runs (the test-only offset file, re-read every 100 ms):
/// tokens must not expire early anywhere, writes forwarded to a jumped leader still commit, the
/// request-id table keeps deduplicating, and reads stay current.
/// </summary>
public sealed class ClockJumpTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const long HourMs = 3_600_000;

    [Fact]
    public async Task WallClockJumps_OnTheLeaderAndAFollower_ExpireNoTokenEarly_AndKeepWritesDeduplicatedAndReadsCurrent()
    {
        var offsets = Path.Combine(Path.GetTempPath(), "cc-tests", "clock-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(offsets);
        try
        {
            await using var cluster = await TestCluster.StartAsync(beforeFirstStart: node =>
            {
                node.Environment = new Dictionary<string, string> { ["CONFIGCLUSTER_TEST_CLOCK_OFFSET_FILE"] = Path.Combine(offsets, node.NodeId) };
                return Task.CompletedTask;
            });
            var leaderIndex = await cluster.WaitForLeaderAsync(Timeout);
            var leader = cluster[leaderIndex];
            var followerIndex = await cluster.FollowerAsync();
            var follower = cluster[followerIndex];
            var other = cluster[3 - leaderIndex - followerIndex];

            // A token with ten minutes to live, and a write remembered by its request id.
            var (status, created) = await leader.Http.SendAsync(HttpMethod.Post, "/acl/tokens", """{"name": "svc", "policies": ["root"], "ttl": "10m"}""");
            Assert.Equal(HttpStatusCode.OK, status);
            var secret = created!["token"]!.GetValue<string>();
            var first = await PutWithIdAsync(other, "jump.dedup", 1, "jump-request-1");
            Assert.Equal(HttpStatusCode.OK, first.Status);

            // The leader's clock jumps an hour ahead, a follower's an hour back.
            await File.WriteAllTextAsync(Path.Combine(offsets, leader.NodeId), HourMs.ToString(CultureInfo.InvariantCulture));
            await File.WriteAllTextAsync(Path.Combine(offsets, follower.NodeId), (-HourMs).ToString(CultureInfo.InvariantCulture));
            var applied = await AppliedIndexAsync(leader);
            // The leader enters its clock every second: wait for several entries after the jump.
            await Eventually.WaitAsync(async () => await AppliedIndexAsync(other) >= applied + 5, Timeout, "five log entries after the jump");

            // A write accepted by the jumped follower (stamped with its clock), forwarded to the jumped leader.
            var (forwarded, body) = await follower.Http.PutValueAsync("jump.forwarded", 1);
            Assert.True(forwarded == HttpStatusCode.OK, $"a write through the jumped follower answered {(int)forwarded}: {body?.ToJsonString()}");

            // The token works on every node: the log clock did not follow the jumps.
            foreach (var node in cluster.Nodes)
            {
                using var http = new HttpClient { BaseAddress = new Uri(node.HttpUrl), Timeout = TimeSpan.FromSeconds(30) };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
                using var response = await http.GetAsync("/config/jump.forwarded");
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{node.NodeId} answered {(int)response.StatusCode} for a token with minutes left: {await response.Content.ReadAsStringAsync()}");
            }

            // The retried write is recognised by its request id: no second version.
            var retry = await PutWithIdAsync(other, "jump.dedup", 1, "jump-request-1");
            Assert.Equal(HttpStatusCode.OK, retry.Status);
            Assert.Equal(first.Body!["version"]!.GetValue<long>(), retry.Body!["version"]!.GetValue<long>());
            var (_, history) = await other.Http.GetJsonAsync("/config/history/jump.dedup");
            Assert.Single(history!["versions"]!.AsArray());

            // Reads on the jumped leader are current: a write through another node is seen at once.
            await other.Http.MustPutAsync("jump.read", 2);
            var (readStatus, read) = await leader.Http.GetJsonAsync("/config/jump.read");
            Assert.Equal(HttpStatusCode.OK, readStatus);
            Assert.Equal(2, read!["value"]!.GetValue<int>());
            output.WriteLine(string.Join('\n', leader.Log.Split('\n').Where(static l => l.Contains("clock", StringComparison.OrdinalIgnoreCase)).TakeLast(5)));
        }
        finally
        {
            Directory.Delete(offsets, recursive: true);
        }
    }

    private static async Task<long> AppliedIndexAsync(NodeProcess node) => (await TestCluster.StatusAsync(node))["appliedIndex"]!.GetValue<long>();

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> PutWithIdAsync(NodeProcess node, string key, int value, string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/config/{key}");
        request.Headers.Add("X-Request-Id", requestId);
        request.Content = new StringContent(new JsonObject { ["value"] = value }.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await node.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
