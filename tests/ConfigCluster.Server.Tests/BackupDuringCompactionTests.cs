using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>
/// Backups while checkpoints compact the store's log: with <c>--compact-threshold 1MiB</c> and a
/// checkpoint every 20 entries, compaction comes due every few checkpoints under load, and every
/// backup (cluster-wide and local) still streams the checkpoint it took, holding compaction off
/// from before its checkpoint until its file is written. The race the hold closes is narrow at
/// this level (a compacting checkpoint between a backup's checkpoint and the start of its scan),
/// so FasterLogCompactionTests.HoldCompaction_* proves it deterministically on the store; this
/// test proves the option reaches the store and backups stay whole while compaction runs.
/// </summary>
public sealed class BackupDuringCompactionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Backups_WhileCheckpointsCompactUnderLoad_AllSucceed_AndRestore()
    {
        using var deadline = new CancellationTokenSource(Timeout);
        var restoreDir = Path.Combine(Path.GetTempPath(), $"cc-backup-compact-{Guid.NewGuid():N}");
        var file = restoreDir + ".snap";
        await using var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--compact-threshold", "1MiB", "--snapshot-interval", "20", "--compaction-interval", "1s"]);
        var node = cluster[0];
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await node.Http.PutJsonAsync("/namespaces/default/retention", "{\"maxVersions\": 1}")).Status);
            using var stop = new CancellationTokenSource();
            var filler = new string('x', 16 << 10);
            var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                    await node.Http.PutValueAsync($"grow.k{w}-{i % 10}", $"{i}-{filler}");
            })).ToList();

            // Six backups, and between two of them at least one compaction step: compaction keeps
            // coming due (about every third checkpoint) while each backup holds it off.
            double first = -1, compactions = 0;
            try
            {
                for (var backup = 1; backup <= 6; backup++)
                {
                    var before = MetricsText.Sum(await node.Http.GetStringAsync("/metrics", deadline.Token), "configcluster_store_compactions");
                    first = first < 0 ? before : first;
                    var local = backup % 2 == 0;
                    using (var response = await node.Http.GetAsync(local ? "/admin/snapshot?local=true" : "/admin/snapshot", deadline.Token))
                    {
                        var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
                        Assert.True(response.StatusCode == HttpStatusCode.OK, $"backup {backup} (local: {local}) answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
                        Assert.Equal(response.Headers.GetValues("X-Snapshot-Sha256").Single(), Convert.ToHexStringLower(SHA256.HashData(body)));
                        await File.WriteAllBytesAsync(file, body, deadline.Token);
                    }

                    await Eventually.WaitAsync(async () =>
                    {
                        compactions = MetricsText.Sum(await node.Http.GetStringAsync("/metrics", deadline.Token), "configcluster_store_compactions");
                        return compactions > before;
                    }, TimeSpan.FromSeconds(60), $"a compaction step after backup {backup}");
                }
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(writers);
            }

            // The option reached the store: the default threshold, 256 MiB, is far above what
            // this test writes.
            Assert.True(compactions >= first + 6, $"{compactions} compaction steps, {first} before the first backup");
            var restored = await Ccctl.RunAsync(null, "snapshot", "restore", file, "--data-dir", restoreDir);
            Assert.True(restored.Code == 0, restored.Err);
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(restoreDir))
                Directory.Delete(restoreDir, recursive: true);
        }
    }
}
