using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests.Durability;

/// <summary>
/// What an acknowledged write means on disk, read from the sync calls of three real node
/// processes (strace; see <see cref="WalSyncTrace"/>). Writes go one at a time to the leader,
/// so each one's Raft index is known: the leader's last log index moves by exactly one. The
/// followers' syncs are slowed down, so an acknowledgement that does not wait for them shows.
/// (In DotNext 6.12 the leader applies an entry only after its own flush, so the leader syncs
/// before answering in both modes; what <c>--durability</c> changes is the followers' sync.)
/// </summary>
public sealed class DurabilityTests
{
    private const int Writes = 8;
    private static readonly TimeSpan FollowerSyncDelay = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Put_DefaultDurability_IsSyncedOnAMajorityIncludingTheLeaderBeforeItIsAcknowledged()
    {
        var (samples, leader, nodes) = await TraceWritesAsync([]);

        Assert.True(samples.Count >= Writes / 2, $"only {samples.Count} of {Writes} writes had a known index");
        foreach (var sample in samples)
        {
            var synced = sample.SyncedAt.Where(p => p.Value < sample.AcknowledgedAt).Select(static p => p.Key).ToList();
            Assert.True(synced.Contains(leader), $"entry {sample.Index}: the leader had not synced it when the write was acknowledged ({sample.Describe()})");
            Assert.True(synced.Count >= nodes / 2 + 1, $"entry {sample.Index}: synced on {synced.Count} of {nodes} nodes before the acknowledgement ({sample.Describe()})");
        }
    }

    [Fact]
    public async Task Put_ReplicatedDurability_IsAcknowledgedWithoutWaitingForASync()
    {
        var (samples, leader, _) = await TraceWritesAsync(["--durability", "replicated"]);

        Assert.True(samples.Count >= Writes / 2, $"only {samples.Count} of {Writes} writes had a known index");
        // The followers' syncs are held up by the tracer, so an acknowledgement that does not
        // wait for them comes before either follower has synced the entry. Most writes must show
        // it (a slow machine may delay the odd answer past a sync).
        var unsynced = samples.Count(s => s.SyncedAt.Where(p => p.Key != leader).All(p => p.Value > s.AcknowledgedAt));
        Assert.True(unsynced * 2 >= samples.Count,
            $"{unsynced} of {samples.Count} writes were acknowledged before a follower synced them: {string.Join("; ", samples.Select(static s => s.Describe()))}");
    }

    private static async Task<(List<Sample> Samples, string Leader, int Nodes)> TraceWritesAsync(IReadOnlyList<string> arguments)
    {
        var traceDirectory = Directory.CreateTempSubdirectory("cc-wal-trace-");
        try
        {
            // The leader's clock entries (one a second) would land between the traced writes.
            await using var cluster = await TestCluster.StartAsync(arguments: arguments, environment: new Dictionary<string, string> { ["CONFIGCLUSTER_TEST_LOG_CLOCK_INTERVAL_MS"] = "3600000" });
            var leader = cluster[await cluster.WaitForLeaderAsync(TestCluster.StartTimeout)];
            var traces = new Dictionary<string, WalSyncTrace>();
            try
            {
                foreach (var node in cluster.Nodes)
                    traces[node.NodeId] = WalSyncTrace.Attach(node.ProcessId!.Value, Path.Combine(traceDirectory.FullName, node.NodeId), node == leader ? TimeSpan.Zero : FollowerSyncDelay);

                // Attaching takes a moment: write until every tracer has seen a sync.
                var warmups = 0;
                await Eventually.WaitAsync(async () =>
                {
                    await leader.Http.MustPutAsync($"durability.warmup{warmups++}", "w");
                    return traces.Values.All(static t => t.HasSyncs());
                }, TimeSpan.FromSeconds(60), "strace to see syncs on every node");

                var acknowledged = new List<(long Index, double At)>();
                for (var i = 0; i < Writes; i++)
                {
                    var before = await LastLogIndexAsync(leader);
                    await leader.Http.MustPutAsync($"durability.k{i}", $"v{i}");
                    var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
                    if (await LastLogIndexAsync(leader) == before + 1)
                        acknowledged.Add((before + 1, at));
                }

                var records = traces.ToDictionary(static p => p.Key, static p => p.Value.DurableRecords());
                var samples = acknowledged.Select(a => new Sample(a.Index, a.At, records.ToDictionary(
                    static p => p.Key,
                    p => p.Value.Where(r => r.LastIndex >= a.Index).Select(static r => r.CompletedAt).DefaultIfEmpty(double.MaxValue).Min()))).ToList();
                return (samples, leader.NodeId, cluster.Nodes.Count);
            }
            finally
            {
                foreach (var trace in traces.Values)
                    await trace.DisposeAsync();
            }
        }
        finally
        {
            traceDirectory.Delete(recursive: true);
        }
    }

    private static async Task<long> LastLogIndexAsync(NodeProcess node)
        => (await TestCluster.StatusAsync(node))["lastLogIndex"]!.GetValue<long>();

    private sealed record Sample(long Index, double AcknowledgedAt, Dictionary<string, double> SyncedAt)
    {
        public string Describe() => $"entry {Index} acknowledged at {AcknowledgedAt:F3}, synced at "
            + string.Join(", ", SyncedAt.Select(static p => $"{p.Key} {(p.Value == double.MaxValue ? "never" : p.Value.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))}"));
    }
}
