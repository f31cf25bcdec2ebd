using System.Buffers;
using System.Collections.Concurrent;
using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

/// <summary>
/// The versioned store as DotNext's Raft state machine. Applies entries in log order, takes a
/// store checkpoint every <see cref="ConsensusOptions.SnapshotInterval"/> entries, and offers the
/// previous checkpoint as the Raft snapshot so one interval of log stays available to slow
/// followers (see shared/STACK-NOTES.md).
/// </summary>
public sealed partial class StoreStateMachine : IStateMachine
{
    private readonly IVersionedStore store;
    private readonly long snapshotInterval;
    private readonly string tempDirectory;
    private readonly ILogger logger;
    // Copy-on-write: replaced under the apply gate, read by the applier (which holds the gate).
    private volatile IApplyObserver[] observers = [];
    private volatile StoreSnapshot? offered;
    private StoreSnapshot? newest;
    private long snapshotsInstalled;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StoreCheckpoint>> checkpointWaiters = new(StringComparer.Ordinal);
    // Request ids of the checkpoint commands in the entry being applied (a batch may hold several).
    private readonly List<string> checkpointCommandIds = [];

    // Held while an entry is applied, and while a local checkpoint is taken between two entries.
    private readonly SemaphoreSlim applyGate = new(1, 1);

    public StoreStateMachine(IVersionedStore store, long snapshotInterval, string tempDirectory, ILogger<StoreStateMachine> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotInterval, 2);
        this.store = store;
        this.snapshotInterval = snapshotInterval;
        this.tempDirectory = tempDirectory;
        this.logger = logger;
        Directory.CreateDirectory(tempDirectory);
        foreach (var stale in Directory.EnumerateFiles(tempDirectory, "*.snap"))
            File.Delete(stale);
        if (store.RecoveredCheckpoint is { } recovered)
            offered = newest = new StoreSnapshot(store, recovered, tempDirectory);
    }

    /// <summary>TEST ONLY, zero in production: see <see cref="ConsensusOptions.SnapshotInstallDelayForTests"/>.</summary>
    public TimeSpan InstallDelayForTests { get; init; }

    /// <summary>
    /// How long into an InstallSnapshot call an install may still be reported done; past it the
    /// call is answered as failed and the leader's next call reports it (half the peer request
    /// timeout: see <c>StoreStateMachine.SnapshotInstall.cs</c>).
    /// </summary>
    public TimeSpan InstallAnswerBudget { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The store this state machine applies to.</summary>
    public IVersionedStore Store => store;

    /// <summary>Raft index of the newest store checkpoint (0 when none).</summary>
    public long NewestCheckpointIndex => newest?.Index ?? 0;

    /// <summary>Snapshots received from a leader and installed since start.</summary>
    public long SnapshotsInstalled => Interlocked.Read(ref snapshotsInstalled);

    /// <summary>
    /// A task completed with the checkpoint this node takes after applying the
    /// <see cref="CheckpointOp"/> command with request id <paramref name="requestId"/>.
    /// Register before proposing the command; <see cref="ForgetCheckpoint"/> when no longer waiting.
    /// </summary>
    public Task<StoreCheckpoint> ExpectCheckpoint(string requestId)
        => checkpointWaiters.GetOrAdd(requestId, static _ => new TaskCompletionSource<StoreCheckpoint>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Drops the waiter registered by <see cref="ExpectCheckpoint"/>.</summary>
    public void ForgetCheckpoint(string requestId) => checkpointWaiters.TryRemove(requestId, out _);

    /// <summary>
    /// Registers an observer of applied changes, between two entries: it learns the revision it
    /// starts from (<see cref="IApplyObserver.OnAttached"/>) and then every change after it. DotNext's
    /// WAL replays committed entries from its constructor on, so an observer built before this call
    /// may have missed some; attaching under the apply gate is what makes the hand-over gap-free.
    /// </summary>
    public async Task AddObserverAsync(IApplyObserver observer, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(observer);
        await applyGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            observer.OnAttached(store.Revision);
            observers = [.. observers, observer];
        }
        finally
        {
            applyGate.Release();
        }
    }

    ISnapshot? ISnapshotManager.Snapshot => offered;

    ValueTask ISnapshotManager.ReclaimGarbageAsync(long watermark, CancellationToken token)
        => ValueTask.CompletedTask; // FASTER removes outdated checkpoints itself.

    async ValueTask<long> IStateMachine.ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
            return await ApplySnapshotAsync(entry, token).ConfigureAwait(false);
        if (entry.Index <= store.AppliedIndex)
            return store.AppliedIndex;

        await applyGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            // A snapshot install (which runs on after the call that brought it) may have covered it meanwhile.
            if (entry.Index <= store.AppliedIndex)
                return store.AppliedIndex;
            await ApplyGatedAsync(entry, token).ConfigureAwait(false);
        }
        finally
        {
            applyGate.Release();
        }

        if (haltReason is not null)
            await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false); // halted: never apply further (the gate is free for local snapshots)
        return Math.Max(store.AppliedIndex, entry.Index);
    }

    /// <summary>
    /// Checkpoints this node's store between two applied entries, without the log (a local
    /// snapshot for disaster recovery works without a quorum). Returns the checkpoint, marked with
    /// the applied index it holds.
    /// </summary>
    public async Task<StoreCheckpoint> CheckpointLocalAsync(CancellationToken token)
    {
        await applyGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            return await store.CheckpointAsync(token).ConfigureAwait(false);
        }
        finally
        {
            applyGate.Release();
        }
    }

    private async ValueTask ApplyGatedAsync(LogEntry entry, CancellationToken token)
    {
        // Never let an exception escape: it would stop DotNext's applier for good. (Snapshots go through ApplySnapshotAsync.)
        try
        {
            await ApplyCommandAsync(entry, token).ConfigureAwait(false);

            if (checkpointCommandIds.Count > 0)
            {
                await CheckpointAsync(token).ConfigureAwait(false);
                foreach (var requestId in checkpointCommandIds)
                {
                    if (checkpointWaiters.TryRemove(requestId, out var waiter))
                        waiter.TrySetResult(newest!.Checkpoint);
                }

                checkpointCommandIds.Clear();
            }
            else if (store.AppliedIndex - NewestCheckpointIndex >= snapshotInterval)
            {
                await CheckpointAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            Log.ApplyFailed(logger, entry.Index, e);
            checkpointCommandIds.Clear();
            store.Skip(entry.Index, entry.Term);
        }
    }

    private async ValueTask ApplyCommandAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsConfiguration || !entry.TryGetPayload(out var payload) || payload.IsEmpty)
        {
            store.Skip(entry.Index, entry.Term);
            return;
        }

        IReadOnlyList<Command> commands;
        try
        {
            commands = EntryPayload.Decode(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray());
        }
        catch (InvalidDataException e)
        {
            // A malformed entry is skipped the same way on every node.
            Log.MalformedEntry(logger, entry.Index, e.Message);
            store.Skip(entry.Index, entry.Term);
            return;
        }

        foreach (var command in commands)
        {
            if (CommandFormat.Of(command) > AppliedFormat)
            {
                await HaltAsync(entry.Index, command, token).ConfigureAwait(false);
                return;
            }
        }

        if (TraceApply)
            Log.AppliedTrace(logger, entry.Index, entry.Term, string.Join(' ', commands.Select(static c => $"{c.OpCase}/{c.RequestId}/{c.TimestampUnixMs}")));
        // The context DotNext hands over belongs to whatever this node appended at this index; an
        // entry of another term at the same index (a newer leader's, which replaced this node's own)
        // is not the proposal, and its results must not answer the proposer.
        var proposal = entry.Context is ProposalContext p && p.Term == entry.Term && p.Results.Length == commands.Count ? p : null;
        var results = proposal?.Results;
        if (proposal is not null)
            proposal.Index = entry.Index;
        // One hand-off to the store's writer thread for the whole entry (a batch of up to hundreds
        // of commands), then the observers in order.
        token.ThrowIfCancellationRequested();
        var (index, term) = (entry.Index, entry.Term);
        var applied = await store.RunOnWriterAsync(() => ApplyAll(commands, index, term)).ConfigureAwait(false);
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i].OpCase == Command.OpOneofCase.Checkpoint)
                checkpointCommandIds.Add(commands[i].RequestId);
            foreach (var observer in observers)
                observer.OnApplied(commands[i], applied[i], entry.Index);
            if (results is not null)
                results[i] = applied[i];
        }

        ConsensusMeters.CommandsPerEntry.Record(commands.Count);
        // The last command may have failed without moving the applied index.
        store.Skip(entry.Index, entry.Term);
    }

    // The commands of an entry, on the writer thread. A command whose apply throws fails alone,
    // with the same result on every node (apply is deterministic); the rest of its batch and the
    // applier carry on.
    private CommandResult[] ApplyAll(IReadOnlyList<Command> commands, long index, long term)
    {
        var results = new CommandResult[commands.Count];
        for (var i = 0; i < commands.Count; i++)
        {
            try
            {
                results[i] = store.Apply(commands[i], index, term);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ApplyFailed(logger, index, e);
                results[i] = new CommandResult { Code = ResultCode.ResultStoreFailure, Message = "the store could not apply the command", Revision = store.Revision };
            }
        }

        return results;
    }

    private async ValueTask CheckpointAsync(CancellationToken token)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var checkpoint = await store.CheckpointAsync(token).ConfigureAwait(false);
        var previous = newest;
        var wasOffered = offered;
        newest = new StoreSnapshot(store, checkpoint, tempDirectory);
        // A checkpoint that compacted the store's log leaves the previous one unstreamable (its
        // records moved): offer the new one then, at the cost of one interval of log for followers.
        offered = previous is not null && previous.Checkpoint.BeginAddress == checkpoint.BeginAddress ? previous : newest;
        Retire(wasOffered, previous);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        ConsensusMeters.CheckpointDuration.Record(elapsed);
        Log.CheckpointTaken(logger, checkpoint.Index, elapsed);
    }

    // Snapshots neither offered nor newest any more drop the file their sends kept.
    private void Retire(StoreSnapshot? first, StoreSnapshot? second)
    {
        if (first is not null && !ReferenceEquals(first, offered) && !ReferenceEquals(first, newest))
            first.Discard();
        if (second is not null && !ReferenceEquals(second, first) && !ReferenceEquals(second, offered) && !ReferenceEquals(second, newest))
            second.Discard();
    }

    /// <summary>
    /// TEST ONLY, off in production: <c>CONFIGCLUSTER_TEST_TRACE_APPLY=1</c> logs every applied entry
    /// (index, term, each command's kind, request id and timestamp), to find where replicas diverged.
    /// </summary>
    internal static readonly bool TraceApply = Environment.GetEnvironmentVariable("CONFIGCLUSTER_TEST_TRACE_APPLY") == "1";

    private static partial class Log
    {
        [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "TRACE applied {Index} term {Term}: {Commands}")]
        public static partial void AppliedTrace(ILogger logger, long index, long term, string commands);

        [LoggerMessage(EventId = 2000, Level = LogLevel.Error, Message = "Applying log entry {Index} failed; the entry is skipped")]
        public static partial void ApplyFailed(ILogger logger, long index, Exception exception);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Log entry {Index} is not a command ({Reason}); skipped")]
        public static partial void MalformedEntry(ILogger logger, long index, string reason);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Store checkpoint at index {Index} took {ElapsedMs:F1} ms")]
        public static partial void CheckpointTaken(ILogger logger, long index, double elapsedMs);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Installed snapshot up to index {Index} (revision {Revision})")]
        public static partial void SnapshotInstalled(ILogger logger, long index, long revision);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Snapshot entry {EntryIndex} carried index {SnapshotIndex}")]
        public static partial void SnapshotIndexMismatch(ILogger logger, long entryIndex, long snapshotIndex);
    }
}
