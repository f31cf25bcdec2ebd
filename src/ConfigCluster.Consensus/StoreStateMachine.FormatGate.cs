using ConfigCluster.Core.Commands;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

public sealed partial class StoreStateMachine
{
    private volatile string? haltReason;

    /// <summary>The newest command format this node applies: <see cref="CommandFormat.Supported"/>, lower only in tests (<see cref="ConsensusOptions.AppliedFormatForTests"/>).</summary>
    public uint AppliedFormat { get; init; } = CommandFormat.Supported;

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
        Log.ApplyHalted(logger, index, CommandFormat.Of(command), AppliedFormat);
        return HaltAsync($"log entry {index} holds a command of format {CommandFormat.Of(command)}, newer than this build applies ({AppliedFormat}); upgrade this node", token);
    }

    // A snapshot this build cannot read (a newer format, or damaged) is never skipped either.
    private ValueTask HaltOnSnapshotAsync(long index, InvalidDataException error, CancellationToken token)
    {
        Log.SnapshotHalted(logger, index, error.Message);
        return HaltAsync($"the snapshot up to log entry {index} cannot be installed: {error.Message}", token);
    }

    private readonly TaskCompletionSource halted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when apply halts (never while it applies normally).</summary>
    public Task Halted => halted.Task;

    private async ValueTask HaltAsync(string reason, CancellationToken token)
    {
        haltReason = reason;
        ConsensusMeters.MarkApplyHalted();
        halted.TrySetResult();
        if (OnHalted is not { } onHalted)
            return;
        // Never let it fail the apply: the caller would skip the entry as failed, and an upgraded
        // build restarted on this store would then never apply it.
        try
        {
            await onHalted().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            Log.StandAsideFailed(logger, e.GetType().Name, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Critical, Message = "Apply halted at log entry {Index}: its command needs format {Format}, this build applies up to {Supported}. Upgrade this node; it will not apply further entries until then")]
        public static partial void ApplyHalted(ILogger logger, long index, uint format, uint supported);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Critical, Message = "Apply halted: the snapshot up to log entry {Index} cannot be installed ({Reason}). It will not apply further entries until the node is fixed")]
        public static partial void SnapshotHalted(ILogger logger, long index, string reason);

        [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Apply halted, but this node could not stand aside from elections ({Error}: {Message}); it may still be elected, and then cannot serve")]
        public static partial void StandAsideFailed(ILogger logger, string error, string message);
    }
}
