using System.Net;
using System.Text.Json.Nodes;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Losing a majority: the one surviving node still gives a snapshot of its own state (no log, no
/// quorum), and a new cluster restored from it serves that state and takes writes.
/// </summary>
public sealed class DisasterRecoveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MajorityLost_LocalSnapshotOfTheSurvivor_RestoresANewClusterWithEverythingItApplied()
    {
        var backup = Path.Combine(Path.GetTempPath(), $"cc-dr-{Guid.NewGuid():N}.snap");
        try
        {
            long survivorRevision;
            await using (var source = await TestCluster.StartAsync())
            {
                for (var i = 0; i < 20; i++)
                    await source[i % 3].Http.MustPutAsync($"dr.k{i % 5}", i);
                await source.WaitForConvergenceAsync(Timeout);
                var survivor = await source.FollowerAsync();
                for (var node = 0; node < 3; node++)
                {
                    if (node != survivor)
                        await source.KillNodeAsync(node);
                }

                // Without a quorum a write is refused, and the cluster-wide snapshot cannot be taken.
                var refused = await source[survivor].Http.PutValueAsync("dr.lost", 1);
                Assert.NotEqual(HttpStatusCode.OK, refused.Status);

                survivorRevision = (await TestCluster.StatusAsync(source[survivor]))["revision"]!.GetValue<long>();
                var saved = await Ccctl.RunWithAsync(null, new Dictionary<string, string> { ["CONFIGCLUSTER_ENDPOINTS"] = source[survivor].GrpcUrl },
                    "snapshot", "save", backup, "--local", "-o", "json");
                Assert.True(saved.Code == 0, saved.Err);
                var info = JsonNode.Parse(saved.Out)!;
                Assert.Equal(survivorRevision, info["revision"]!.GetValue<long>());
                Assert.True(info["raftIndex"]!.GetValue<long>() > 0, saved.Out);
            }

            await using var restored = await TestCluster.StartAsync(beforeFirstStart: async node =>
            {
                var result = await Ccctl.RunAsync(null, "snapshot", "restore", backup, "--data-dir", node.DataDirectory);
                Assert.True(result.Code == 0, result.Err);
            });
            await restored.WaitForConvergenceAsync(Timeout);
            Assert.Equal(survivorRevision, (await TestCluster.StatusAsync(restored[0]))["revision"]!.GetValue<long>());
            for (var k = 0; k < 5; k++)
            {
                var (status, body) = await restored[1].Http.GetJsonAsync($"/config/dr.k{k}");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(4, body!["version"]!.GetValue<long>());
                Assert.Equal(15 + k, body["value"]!.GetValue<int>());
            }

            Assert.Equal(HttpStatusCode.NotFound, (await restored[0].Http.GetJsonAsync("/config/dr.lost")).Status);
            var next = await restored[2].Http.MustPutAsync("dr.k0", "after");
            Assert.Equal(survivorRevision + 1, next["revision"]!.GetValue<long>());
        }
        finally
        {
            File.Delete(backup);
        }
    }
}
