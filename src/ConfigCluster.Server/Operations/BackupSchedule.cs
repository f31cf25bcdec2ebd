using System.Globalization;
using ConfigCluster.Core.Crypto;
using ConfigCluster.Server.Hosting;

namespace ConfigCluster.Server.Operations;

/// <summary>Where, how often and how many scheduled backups; <paramref name="Key"/> seals them (encrypted) when set.</summary>
public sealed record BackupSchedule(string Directory, TimeSpan Interval, int Keep, byte[]? Key);

/// <summary>
/// Scheduled backups: every <c>--backup-interval</c> each node writes a snapshot of its own state
/// (a local snapshot: no log entry, so it works without a quorum too) into <c>--backup-dir</c>,
/// sealed with the backup key when one is given, and deletes all but the newest
/// <c>--backup-keep</c>. Restore any of them with <c>ccctl snapshot restore</c>.
/// </summary>
internal sealed partial class ScheduledBackupService(SnapshotBackup backup, NodeSettings settings, TimeProvider time, ILogger<ScheduledBackupService> logger) : BackgroundService
{
    /// <summary>File names: <c>configcluster-NODE-yyyyMMddTHHmmssfffZ-rREVISION.snap</c> (<c>.sealed</c> when sealed).</summary>
    public const string Prefix = "configcluster-";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Backups is not { } schedule)
            return; // off (no --backup-dir)
        Directory.CreateDirectory(schedule.Directory);
        using var timer = new PeriodicTimer(schedule.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var written = await WriteOneAsync(schedule, stoppingToken);
                Log.BackupWritten(logger, written);
                Prune(schedule);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                Observability.ServerMeters.BackupFailures.Add(1);
                Log.BackupFailed(logger, e.Message);
            }
        }
    }

    private async Task<string> WriteOneAsync(BackupSchedule schedule, CancellationToken token)
    {
        var taken = await backup.TakeLocalAsync(token);
        using var file = taken.Value ?? throw new InvalidOperationException(taken.Error!.Message);
        var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        var name = $"{Prefix}{settings.NodeId}-{stamp}-r{file.Revision}.snap{(schedule.Key is null ? "" : ".sealed")}";
        var target = Path.Combine(schedule.Directory, name);
        var partial = target + ".part";
        await using (var input = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
        await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            if (schedule.Key is { } key)
                await BackupEnvelope.SealAsync(input, output, key, BackupProtection.Encrypted, token);
            else
                await input.CopyToAsync(output, token);
            await output.FlushAsync(token);
            output.Flush(flushToDisk: true);
        }

        File.Move(partial, target, overwrite: true);
        return target;
    }

    // Names sort by time (fixed-width UTC stamp), so the newest are last.
    private void Prune(BackupSchedule schedule)
    {
        var mine = Directory.EnumerateFiles(schedule.Directory, $"{Prefix}{settings.NodeId}-*")
            .Where(static f => !f.EndsWith(".part", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var old in mine.Take(Math.Max(0, mine.Count - schedule.Keep)))
            File.Delete(old);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Scheduled backup written to {File}")]
        public static partial void BackupWritten(ILogger logger, string file);

        [LoggerMessage(EventId = 5201, Level = LogLevel.Error, Message = "Scheduled backup failed: {Reason}")]
        public static partial void BackupFailed(ILogger logger, string reason);
    }
}
