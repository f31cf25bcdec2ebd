using ConfigCluster.Core.Commands;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

public sealed partial class StoreStateMachine
{
    private volatile string? haltReason;

    /// <summary>
    /// Why this node stopped applying the log (a command of a format newer than this build
    /// understands, see <see cref="CommandFormat"/>), or null while it applies normally. A halted
    /// node keeps its log and keeps voting, but its state no longer moves: upgrade it.
    /// </summary>
    public string? HaltReason => haltReason;

    /// <summary>Called once when apply halts (the node then stops standing for leader: it could not serve writes).</summary>
    public Func<Task>? OnHalted { get; set; }

    // Marks the applier stopped at this entry for good (until the node is stopped and upgraded):
    // skipping the command would make this replica disagree with the upgraded ones. ApplyAsync
    // then waits forever, outside the apply gate.
    private ValueTask HaltAsync(long index, Command command, CancellationToken token)
    {
        Log.ApplyHalted(logger, index, CommandFormat.Of(command), CommandFormat.Supported);
        return HaltAsync($"log entry {index} holds a command of format {CommandFormat.Of(command)}, newer than this build applies ({CommandFormat.Supported}); upgrade this node", token);
    }

    // A snapshot this build cannot read (a newer format, or damaged) is never skipped either.
    private ValueTask HaltOnSnapshotAsync(long index, InvalidDataException error, CancellationToken token)
    {
        Log.SnapshotHalted(logger, index, error.Message);
        return HaltAsync($"the snapshot up to log entry {index} cannot be installed: {error.Message}", token);
    }

    private async ValueTask HaltAsync(string reason, CancellationToken token)
    {
        haltReason = reason;
        ConsensusMeters.ApplyHalted.Add(1);
        if (OnHalted is { } halted)
            await halted().ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Critical, Message = "Apply halted at log entry {Index}: its command needs format {Format}, this build applies up to {Supported}. Upgrade this node; it will not apply further entries until then")]
        public static partial void ApplyHalted(ILogger logger, long index, uint format, uint supported);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Critical, Message = "Apply halted: the snapshot up to log entry {Index} cannot be installed ({Reason}). It will not apply further entries until the node is fixed")]
        public static partial void SnapshotHalted(ILogger logger, long index, string reason);
    }
}
