using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Operations;

/// <summary>What one compaction did: versions removed, and the oldest revision a watch can start after.</summary>
public sealed record CompactionReport(long Removed, long OldestRevision);

/// <summary>
/// Per-namespace history retention. Both the setting and every compaction go through the log,
/// so every node removes exactly the same versions. The newest version of a key is never removed.
/// </summary>
public sealed class HistoryRetention(ConfigService config, IVersionedStore store)
{
    /// <summary>The author recorded for compactions the leader runs on its own.</summary>
    public const string SystemAuthor = "system:compaction";

    // Bounds one request's work: at most this many compaction entries of a default batch each.
    private const int MaxRounds = 100;

    public RetentionPolicy? Get(string ns) => store.GetRetention(ns);

    /// <summary>The oldest revision whose change is still kept (a watch may start from one before it).</summary>
    public long OldestRevision => store.OldestRevision;

    public async Task<Outcome<RetentionPolicy?>> SetAsync(string ns, long maxVersions, TimeSpan maxAge, CancellationToken token)
    {
        if (!KeyPath.TryValidateScope(ns, "namespace", out var error))
            return new ConfigError(ConfigErrorCode.InvalidArgument, error);
        if (maxVersions < 0 || maxAge < TimeSpan.Zero)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "maxVersions and maxAge must not be negative (0 = no limit)");
        var command = config.NewCommand(null);
        command.SetRetention = new SetRetentionOp { Namespace = ns, MaxVersions = maxVersions, MaxAgeMs = (long)maxAge.TotalMilliseconds };
        var outcome = await config.SubmitRawAsync(command, token);
        if (outcome.Error is { } submitError)
            return submitError;
        if (outcome.Value!.Code != ResultCode.ResultOk)
            return new ConfigError(ConfigErrorCode.InvalidArgument, outcome.Value.Message);
        // Answer from this node's store once it has applied the change (the leader may be elsewhere).
        return await config.CatchUpAsync(token) is { } barrierError ? barrierError : Get(ns);
    }

    /// <summary>Removes what the namespace's retention no longer keeps, in bounded log entries.</summary>
    public async Task<Outcome<CompactionReport>> CompactAsync(string ns, string? author, CancellationToken token)
    {
        if (!KeyPath.TryValidateScope(ns, "namespace", out var error))
            return new ConfigError(ConfigErrorCode.InvalidArgument, error);
        long removed = 0;
        for (var round = 0; round < MaxRounds; round++)
        {
            var command = config.NewCommand(null);
            if (author is not null)
                command.Author = author;
            command.Compact = new CompactOp { Namespace = ns };
            var outcome = await config.SubmitRawAsync(command, token);
            if (outcome.Error is { } submitError)
                return submitError;
            if (outcome.Value!.Code != ResultCode.ResultOk)
                return new ConfigError(ConfigErrorCode.InvalidArgument, outcome.Value.Message);
            removed += outcome.Value.Compacted;
            if (!outcome.Value.More)
                break;
        }

        return await config.CatchUpAsync(token) is { } barrierError ? barrierError : new CompactionReport(removed, store.OldestRevision);
    }
}

/// <summary>On the leader, applies every namespace's retention every <c>--compaction-interval</c>.</summary>
public sealed partial class CompactionService(HistoryRetention retention, RaftNode node, IVersionedStore store, NodeSettings settings, TimeProvider time, ILogger<CompactionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.CompactionInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!node.IsLeader)
                continue;
            foreach (var ns in store.Retention().Keys)
            {
                var outcome = await retention.CompactAsync(ns, HistoryRetention.SystemAuthor, stoppingToken);
                if (outcome.Error is { } error)
                    Log.CompactionFailed(logger, ns, error.Message);
                else if (outcome.Value!.Removed > 0)
                    Log.Compacted(logger, ns, outcome.Value.Removed, outcome.Value.OldestRevision);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Compacted namespace {Namespace}: {Removed} versions removed; oldest kept revision is now {OldestRevision}")]
        public static partial void Compacted(ILogger logger, string @namespace, long removed, long oldestRevision);

        [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Compaction of namespace {Namespace} failed: {Reason}")]
        public static partial void CompactionFailed(ILogger logger, string @namespace, string reason);
    }
}
