using System.Text;
using ConfigCluster.Consensus;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Seed;

/// <summary>
/// Imports <c>--seed-file</c> once the cluster has a leader. A key whose current value already
/// equals the file's is left alone, so importing the same file twice creates no new versions;
/// each write is a compare-and-set on the version just read, so nodes importing at the same
/// time do not write twice either.
/// </summary>
internal sealed partial class SeedImportService(
    IReadOnlyList<SeedEntry> entries, RaftNode node, ConfigService config, ILogger<SeedImportService> logger) : BackgroundService
{
    private const int MaxAttemptsPerKey = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await node.WaitForLeaderAsync(stoppingToken);
        int written = 0, unchanged = 0, failed = 0;
        foreach (var entry in entries)
        {
            if (!KeyPath.TryCreate(null, null, entry.Key, out var path, out _))
                continue;
            switch (await ImportAsync(path, entry.ValueJson, stoppingToken))
            {
                case true: written++; break;
                case false: unchanged++; break;
                default: failed++; break;
            }
        }

        Log.Imported(logger, entries.Count, written, unchanged, failed);
    }

    // true: written; false: already equal; null: gave up.
    private async Task<bool?> ImportAsync(KeyPath path, string valueJson, CancellationToken token)
    {
        for (var attempt = 0; attempt < MaxAttemptsPerKey; attempt++)
        {
            var current = await config.GetAsync(path, 0, ReadConsistency.Linearizable, token);
            long expected;
            if (current.Value is { } existing)
            {
                if (Encoding.UTF8.GetString(existing.Value.Span) == valueJson)
                    return false;
                expected = existing.Version;
            }
            else if (current.Error is { Code: ConfigErrorCode.NotFound })
            {
                expected = config.Store.Get(path) is { } tombstone ? tombstone.Version : 0;
            }
            else
            {
                Log.KeyFailed(logger, path.Key, current.Error!.Message);
                continue;
            }

            var put = await config.PutAsync(path, valueJson, secret: false, expected, requestId: null, token);
            if (put.IsSuccess)
                return true;
            if (put.Error!.Code != ConfigErrorCode.VersionMismatch)
                Log.KeyFailed(logger, path.Key, put.Error.Message);
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Seed file: {Total} keys, {Written} written, {Unchanged} unchanged, {Failed} failed")]
        public static partial void Imported(ILogger logger, int total, int written, int unchanged, int failed);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Seed file: key {Key} not imported: {Reason}")]
        public static partial void KeyFailed(ILogger logger, string key, string reason);
    }
}
