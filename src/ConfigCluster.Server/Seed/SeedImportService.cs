using System.Text;
using ConfigCluster.Consensus;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Seed;

/// <summary>
/// Imports <c>--seed-file</c> once the cluster has a leader, as change-sets of up to 500 keys.
/// Keys whose current value already equals the file's are left out, so importing the same file
/// twice creates no new versions; every item expects the version just read, so nodes importing
/// at the same time do not write twice (a conflicting change-set changes nothing and is rebuilt).
/// </summary>
internal sealed partial class SeedImportService(
    IReadOnlyList<SeedEntry> entries, RaftNode node, ConfigService config, EnvironmentService environments, ILogger<SeedImportService> logger) : BackgroundService
{
    private const int MaxAttempts = 5, ChunkSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await node.WaitForLeaderAsync(stoppingToken);
        int written = 0, unchanged = 0, failed = 0;
        foreach (var chunk in entries.Chunk(ChunkSize))
        {
            for (var attempt = 1; ; attempt++)
            {
                if (await config.CatchUpAsync(stoppingToken) is { } barrierError)
                {
                    Log.ChunkFailed(logger, barrierError.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), stoppingToken);
                    continue;
                }

                var changes = new List<ChangeSetEntry>();
                foreach (var entry in chunk)
                {
                    if (!KeyPath.TryCreate(null, null, entry.Key, out var path, out _))
                        continue;
                    var current = await config.Store.GetAsync(path, 0, stoppingToken);
                    if (current is { IsDeletion: false } && Encoding.UTF8.GetString(current.Value.Span) == entry.ValueJson)
                        continue;
                    changes.Add(new ChangeSetEntry(path, entry.ValueJson, Secret: false, ExpectedVersion: current?.Version ?? 0));
                }

                if (changes.Count == 0)
                {
                    unchanged += chunk.Length;
                    break;
                }

                var outcome = await environments.ApplyChangeSetAsync(changes, "seed import", null, stoppingToken);
                if (outcome.IsSuccess)
                {
                    written += changes.Count;
                    unchanged += chunk.Length - changes.Count;
                    break;
                }

                if (attempt >= MaxAttempts)
                {
                    Log.ChunkFailed(logger, outcome.Error!.Message);
                    failed += changes.Count;
                    break;
                }
            }
        }

        Log.Imported(logger, entries.Count, written, unchanged, failed);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Seed file: {Total} keys, {Written} written, {Unchanged} unchanged, {Failed} failed")]
        public static partial void Imported(ILogger logger, int total, int written, int unchanged, int failed);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Seed file: a change-set was not applied: {Reason}")]
        public static partial void ChunkFailed(ILogger logger, string reason);
    }
}
