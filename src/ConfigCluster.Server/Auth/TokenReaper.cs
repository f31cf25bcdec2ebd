using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Auth;

/// <summary>
/// On the leader, removes expired and revoked tokens: every <see cref="Interval"/>, when a token
/// expired (or was first seen revoked) more than <c>--token-reap-grace</c> ago by this node's
/// reading of the log clock, or a revoked token has not been seen yet, proposes a
/// <see cref="ReapTokensOp"/>. Which tokens go is decided at apply by the log clock carried in the
/// log, so every node removes the same ones; the leases they created are revoked.
/// </summary>
public sealed partial class TokenReaper(RaftNode node, FasterVersionedStore store, LogClock logClock, NodeSettings settings, TimeProvider clock, ILogger<TokenReaper> logger)
    : Hosting.LeaderLoop(node, clock)
{
    /// <summary>How often the leader looks for tokens to remove.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The author recorded on reap entries.</summary>
    public const string Author = "system:token-reaper";

    /// <inheritdoc/>
    protected override TimeSpan Period => Interval;

    /// <inheritdoc/>
    protected override async Task RunRoundAsync(CancellationToken stoppingToken)
    {
        // Several entries in a row while more than one entry's worth is due.
        while (Node.IsLeader && !stoppingToken.IsCancellationRequested
               && store.HasTokensToReap(logClock.Now().ToUnixTimeMilliseconds(), settings.TokenReapGrace))
        {
            if (!await ReapAsync(stoppingToken))
                break;
        }
    }

    private async Task<bool> ReapAsync(CancellationToken stoppingToken)
    {
        var command = new Command
        {
            TimestampUnixMs = Clock.GetUtcNow().ToUnixTimeMilliseconds(),
            Author = Author,
            ReapTokens = new ReapTokensOp { GraceMs = (long)settings.TokenReapGrace.TotalMilliseconds, MaxTokens = FasterVersionedStore.MaxTokensPerReap },
        };
        if (await ProposeAsync(command, settings.WriteTimeout, stoppingToken) is not { } outcome)
            return false;
        if (outcome.Status != ProposeStatus.Applied)
        {
            Log.ReapFailed(logger, outcome.Status.ToString());
            return false;
        }

        // Nothing removed (the log clock had not reached the node's reading yet, or the entry only
        // stamped revocations): wait for the next round.
        var removed = outcome.Result?.Version ?? 0;
        if (removed > 0)
            Log.Reaped(logger, removed);
        return removed > 0;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7330, Level = LogLevel.Information, Message = "Removed {Count} tokens expired or revoked longer than the reap grace")]
        public static partial void Reaped(ILogger logger, long count);

        [LoggerMessage(EventId = 7331, Level = LogLevel.Warning, Message = "The leader could not remove expired or revoked tokens ({Status}); it tries again later")]
        public static partial void ReapFailed(ILogger logger, string status);
    }
}
