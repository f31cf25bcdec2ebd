using System.Net;
using System.Text.RegularExpressions;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// A restarted node recovers its store from the last checkpoint and the start-up image saved with
/// it, then scans only the log written after that image: restart work follows the live state, not
/// every record ever written.
/// </summary>
public sealed partial class StoreRestartTests
{
    private const int Keys = 40;
    private const int Rounds = 20;
    private const int SnapshotInterval = 50;

    [Fact]
    public async Task Restart_KeysWrittenTwentyTimesOver_RecoversFromTheCheckpointImageAndScansOnlyTheTail()
    {
        await using var cluster = await TestCluster.StartAsync(arguments: ["--snapshot-interval", $"{SnapshotInterval}"]);
        var http = cluster[0].Http;
        for (var round = 1; round <= Rounds; round++)
        {
            for (var i = 0; i < Keys; i++)
                await PutAcknowledgedAsync(http, Key(i), Value(i, round));
        }

        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        var restarted = await cluster.FollowerAsync();
        await cluster.KillNodeAsync(restarted);
        await cluster.StartNodeAsync(restarted);
        var node = cluster[restarted];

        // Every write left a version, a new head and a change record: 3 x 800 records. Recovery
        // scans at most what followed the last image (under two checkpoint intervals of entries).
        var text = await node.Http.GetStringAsync("/metrics");
        Assert.Equal(1, Gauge(text, "configcluster_store_recovery_from_image"));
        var scanned = Gauge(text, "configcluster_store_recovery_scanned_records");
        Assert.True(scanned <= 3 * 2 * SnapshotInterval, $"recovery scanned {scanned} records; {3 * Keys * Rounds} were written\n{cluster.Logs()}");

        for (var i = 0; i < Keys; i++)
        {
            var key = Key(i);
            await Eventually.WaitAsync(async () =>
            {
                var (status, body) = await node.Http.GetJsonAsync($"/config/{key}?consistency=serializable");
                return status == HttpStatusCode.OK && body!["value"]!.GetValue<int>() == Value(i, Rounds);
            }, TimeSpan.FromSeconds(30), $"{key} to read back its last value on the restarted node");
            var (historyStatus, history) = await node.Http.GetJsonAsync($"/config/history/{key}?consistency=serializable");
            Assert.Equal(HttpStatusCode.OK, historyStatus);
            // A write answered "ambiguous" (a leadership change on a loaded box) and written again may have landed twice.
            Assert.True(history!["versions"]!.AsArray().Count >= Rounds, $"{key} kept {history["versions"]!.AsArray().Count} versions");
        }
    }

    private static Task PutAcknowledgedAsync(HttpClient http, string key, int value) => Eventually.WaitAsync(
        async () => (await http.PutValueAsync(key, value)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"the write of {key} to be acknowledged");

    private static double Gauge(string text, string metric)
    {
        var match = MetricLine().Matches(text).FirstOrDefault(m => m.Groups["name"].Value == metric);
        Assert.True(match is not null, $"{metric} is not in the metrics");
        return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (?<value>[0-9.eE+-]+)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    private static string Key(int i) => $"restart.k{i:D2}";

    private static int Value(int i, int round) => round * 1000 + i;
}
