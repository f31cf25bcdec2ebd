using System.Net;
using System.Security.Cryptography;
using ConfigCluster.Server.Tests.Harness;

namespace ConfigCluster.Server.Tests;

/// <summary>Backups sealed with a backup key (signed or encrypted), and scheduled backups with retention.</summary>
public sealed class SealedBackupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SealedBackup_RestoresOnlyWithItsKey_AndAnAlteredOrPlainFileIsRefused()
    {
        var root = Directory.CreateTempSubdirectory("cc-sealed-");
        try
        {
            var keyFile = Path.Combine(root.FullName, "backup.key");
            await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            var otherKey = Path.Combine(root.FullName, "other.key");
            await File.WriteAllTextAsync(otherKey, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            var signed = Path.Combine(root.FullName, "signed.snap");
            var encrypted = Path.Combine(root.FullName, "encrypted.snap");
            var plain = Path.Combine(root.FullName, "plain.snap");
            await using (var cluster = await TestCluster.StartAsync(count: 1))
            {
                await cluster[0].Http.MustPutAsync("sealed.marker", "plain-text-marker-4d2c");
                foreach (var (file, extra) in new[] { (signed, Array.Empty<string>()), (encrypted, ["--encrypt"]) })
                {
                    var saved = await Ccctl.RunAsync(cluster, ["snapshot", "save", file, "--key-file", keyFile, .. extra]);
                    Assert.True(saved.Code == 0, saved.Err);
                }

                var unsealed = await Ccctl.RunAsync(cluster, "snapshot", "save", plain);
                Assert.True(unsealed.Code == 0, unsealed.Err);
            }

            // Signed keeps the snapshot readable; encrypted does not.
            Assert.Contains("plain-text-marker-4d2c", await File.ReadAllTextAsync(signed), StringComparison.Ordinal);
            Assert.DoesNotContain("plain-text-marker-4d2c", await File.ReadAllTextAsync(encrypted), StringComparison.Ordinal);

            foreach (var file in new[] { signed, encrypted })
            {
                Assert.NotEqual(0, (await RestoreAsync(root, file)).Code); // sealed: the key is required
                Assert.NotEqual(0, (await RestoreAsync(root, file, otherKey)).Code);
                var altered = file + ".altered";
                var bytes = await File.ReadAllBytesAsync(file);
                bytes[bytes.Length / 2] ^= 0x40;
                await File.WriteAllBytesAsync(altered, bytes);
                Assert.NotEqual(0, (await RestoreAsync(root, altered, keyFile)).Code);
                var ok = await RestoreAsync(root, file, keyFile);
                Assert.True(ok.Code == 0, ok.Err);
            }

            // With a key, a plain snapshot (which anyone could have written) is refused.
            var refused = await RestoreAsync(root, plain, keyFile);
            Assert.NotEqual(0, refused.Code);
            Assert.Contains("not a sealed backup", refused.Err, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ScheduledBackups_AreWrittenSealed_KeepTheNewest_AndRestore()
    {
        var root = Directory.CreateTempSubdirectory("cc-scheduled-");
        try
        {
            var keyFile = Path.Combine(root.FullName, "backup.key");
            await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            var dir = Path.Combine(root.FullName, "backups");
            await using (var cluster = await TestCluster.StartAsync(count: 1, arguments: ["--backup-dir", dir, "--backup-interval", "300ms", "--backup-keep", "2", "--backup-key-file", keyFile]))
            {
                await cluster[0].Http.MustPutAsync("scheduled.k", 42);
                // Several rounds pass; at most one more than kept exists (a new one is written, then
                // the oldest removed), and the newest holds the write.
                var seen = new HashSet<string>();
                await Eventually.WaitAsync(() =>
                {
                    var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "configcluster-*.sealed") : [];
                    Assert.True(files.Length <= 3, string.Join(", ", files));
                    seen.UnionWith(files);
                    return seen.Count >= 4;
                }, Timeout, "four scheduled backups written");
                await Eventually.WaitAsync(() => Directory.GetFiles(dir, "configcluster-*.sealed").Length == 2, Timeout, "the oldest pruned down to --backup-keep 2");
            }

            var newest = Directory.GetFiles(dir, "configcluster-*.sealed").Order(StringComparer.Ordinal).Last();
            var restored = await RestoreAsync(root, newest, keyFile);
            Assert.True(restored.Code == 0, restored.Err);
            await using var again = await TestCluster.StartAsync(count: 1, beforeFirstStart: async node =>
            {
                var result = await Ccctl.RunAsync(null, "snapshot", "restore", newest, "--key-file", keyFile, "--data-dir", node.DataDirectory);
                Assert.True(result.Code == 0, result.Err);
            });
            var (status, body) = await again[0].Http.GetJsonAsync("/config/scheduled.k");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(42, body!["value"]!.GetValue<int>());
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static Task<(int Code, string Out, string Err)> RestoreAsync(DirectoryInfo root, string file, string? keyFile = null)
    {
        var target = Path.Combine(root.FullName, "restore-" + Guid.NewGuid().ToString("N"));
        return keyFile is null
            ? Ccctl.RunAsync(null, "snapshot", "restore", file, "--data-dir", target)
            : Ccctl.RunAsync(null, "snapshot", "restore", file, "--key-file", keyFile, "--data-dir", target);
    }
}
