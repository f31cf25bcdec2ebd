using System.Net;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Prometheus text at /metrics: Raft, store and request figures that move with traffic.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_AfterTraffic_ShowRaftStoreAndRequestFigures()
    {
        // A checkpoint every 3 entries, so snapshot durations are recorded too.
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", "3"]);
        var follower = cluster[await cluster.FollowerAsync()];
        for (var i = 0; i < 5; i++)
            await follower.Http.MustPutAsync($"m.k{i}", i);
        await follower.Http.GetJsonAsync("/config/m.k0");

        Assert.Equal(HttpStatusCode.Unauthorized, (await follower.Anonymous.GetJsonAsync("/config/m.k0")).Status);
        using var anonymous = await follower.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        string text = "";
        await Eventually.WaitAsync(async () =>
        {
            text = await follower.Http.GetStringAsync("/metrics");
            return MetricsText.Sum(text, "configcluster_writes_forwarded") >= 5 && MetricsText.Sum(text, "configcluster_store_revision") >= 5;
        }, TimeSpan.FromSeconds(30), "the metrics to show the writes");

        Assert.Contains("configcluster_raft_term", text);
        Assert.Contains("configcluster_raft_commit_index", text);
        Assert.Equal(0, MetricsText.Sum(text, "configcluster_raft_is_leader"));
        Assert.True(MetricsText.Sum(text, "http_server_request_duration_seconds_count") >= 6, text);
        Assert.True(MetricsText.Sum(text, "configcluster_access_decisions") >= 6);
        Assert.True(MetricsText.Sum(text, "configcluster_store_log_size") > 0, "store log size");
        Assert.Contains("configcluster_raft_apply_lag", text);
        Assert.True(MetricsText.Sum(text, "configcluster_store_checkpoint_duration_milliseconds_count") >= 1, "checkpoint durations");
        // DotNext's own meters: WAL flush latency, and per-peer request times (replication lag per member).
        Assert.True(MetricsText.Sum(text, "entries_flush_duration_milliseconds_count") >= 1, "WAL flush durations");
        Assert.True(MetricsText.Sum(text, "response_time_milliseconds_count") >= 1, "Raft request times per member");
    }

    [Fact]
    public async Task JsonLogFormat_WritesOneJsonObjectPerLine_WithTheNodeId()
    {
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--log-format", "json"]);
        await cluster[0].Http.MustPutAsync("logs.k", 1);

        var lines = cluster[0].Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            var entry = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            Assert.Equal("n1", entry["node"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(entry["level"]!.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(entry["category"]!.GetValue<string>()));
            Assert.True(DateTimeOffset.TryParse(entry["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        });
    }
}
