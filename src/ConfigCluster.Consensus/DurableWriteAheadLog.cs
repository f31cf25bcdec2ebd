using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace ConfigCluster.Consensus;

/// <summary>
/// DotNext's WriteAheadLog with a follower that syncs what it appended before it acknowledges
/// AppendEntries (<see cref="DurabilityMode.Fsync"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why here: a follower handles AppendEntries with the producer overload of
/// <c>IAuditTrail.AppendAsync</c> (then commits) and answers the leader as soon as that returns;
/// nothing else calls that overload. The WAL's own flusher runs only when the commit index moves, so a
/// follower used to acknowledge entries that were still only in its page cache, and after a
/// restart it even forgot them (the WAL recovers up to the last checkpoint record, which the
/// flusher writes; checked with a kill of a process that had appended past its last flush). This
/// class re-implements that one interface method (the others keep mapping to the inherited
/// implementation) and, after the append, waits until the WAL's background flusher (which 6.12
/// runs on every append) has msynced the pages and synced the checkpoint record naming the
/// appended entries (<see cref="DurableIndexWatcher"/>), so the entries the follower acknowledges
/// survive a power loss and are recovered at start.
/// </para>
/// <para>
/// Group commit: one AppendEntries call carries every entry the leader had ready (the leader
/// appends concurrent proposals meanwhile), and the flush covers all of them with one pair of
/// msync calls. On the leader, concurrent entries share one wait through <see cref="WaitDurableAsync"/>.
/// </para>
/// <para>
/// Heartbeats (no entries) only move the commit index and are not synced here; the background
/// flusher handles them as before.
/// </para>
/// </remarks>
internal sealed partial class DurableWriteAheadLog : WriteAheadLog, IAuditTrail<IRaftLogEntry>
{
    private readonly DurableIndexWatcher durable;
    private readonly DurabilityMode durability;

    private DurableWriteAheadLog(Options options, IStateMachine stateMachine, DurabilityMode durability, DurableIndexWatcher durable)
        : base(options, stateMachine)
    {
        this.durable = durable;
        this.durability = durability;
    }

    /// <summary>A WAL in <c>options.Location</c> whose flusher tells its <see cref="DurableIndexWatcher"/> when each round is on disk.</summary>
    public static DurableWriteAheadLog Create(Options options, IStateMachine stateMachine, DurabilityMode durability)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watcher = new DurableIndexWatcher(options.Location);
        try
        {
            using (WalFlushEvents.Route(watcher.OnFlushed))
                return new DurableWriteAheadLog(options, stateMachine, durability, watcher);
        }
        catch
        {
            watcher.Dispose();
            throw;
        }
    }

    /// <summary>Where the follower's append reports stale calls and conflicts (none until set).</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>TEST ONLY, zero in production: see <see cref="ConsensusOptions.FirstSnapshotAnswerDelayForTests"/>.</summary>
    public TimeSpan FirstSnapshotAnswerDelayForTests { get; set; }

    private int snapshotsAccepted;

    /// <summary>Whether appends are synced before they are acknowledged.</summary>
    public DurabilityMode Durability => durability;

    /// <summary>How often a wait for the disk was settled by the fallback instead of the flusher's notification (0 while they work).</summary>
    public long DurableFallbacks => durable.FallbackReleases;

    /// <summary>Completes once entries up to <paramref name="index"/> are on this node's disk (group commit: see <see cref="DurableIndexWatcher"/>).</summary>
    public async Task WaitDurableAsync(long index, CancellationToken token)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await durable.WaitAsync(index, token).ConfigureAwait(false);
        ConsensusMeters.SyncDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(
        ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        var count = entries.RemainingCount;
        if (count <= 0)
        {
            await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
            return;
        }

        var lastCovered = startIndex + count - 1;
        var (remainder, from) = await SkipEntriesAlreadyHeldAsync(entries, startIndex, token).ConfigureAwait(false);
        if (remainder is not null)
            await AppendAsync(remainder, from, skipCommitted, token).ConfigureAwait(false);
        else if (LastEntryIndex > lastCovered)
        {
            ConsensusMeters.StaleAppendsKept.Add(1);
            Log.StaleAppendKept(Logger, startIndex, lastCovered, LastEntryIndex);
        }
        if (durability == DurabilityMode.Fsync)
            await WaitDurableAsync(lastCovered, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Raft's append rule (§5.3): an entry this log already holds with the same index and term is
    /// the same entry, so it is kept and skipped; only from the first entry that conflicts (same
    /// index, other term) or is new does the log take the leader's entries and drop its own tail.
    /// DotNext's append replaces everything from the start index, so a stale AppendEntries call
    /// (one the leader gave up on and resent on a new connection, handled after the newer call)
    /// would cut off entries this node had acknowledged and the leader had counted as committed.
    /// Returns the entries still to append and their start index, or null when every entry was held.
    /// </summary>
    private async ValueTask<(ILogEntryProducer<TEntry>? Remainder, long From)> SkipEntriesAlreadyHeldAsync<TEntry>(
        ILogEntryProducer<TEntry> entries, long index, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        while (index <= LastEntryIndex)
        {
            if (!await entries.MoveNextAsync().ConfigureAwait(false))
                return (null, index);
            var term = entries.Current.Term;
            // Committed entries are skipped as DotNext's own append does (skipCommitted).
            if (index > LastCommittedEntryIndex && await TermAtAsync(index, token).ConfigureAwait(false) != term)
            {
                ConsensusMeters.AppendConflicts.Add(1);
                Log.ConflictReplaced(Logger, index, LastEntryIndex);
                return (new ResumedEntryProducer<TEntry>(entries), index);
            }

            index++;
        }

        return (entries, index);
    }

    private async ValueTask<long> TermAtAsync(long index, CancellationToken token)
    {
        using var held = await ReadAsync(index, index, token).ConfigureAwait(false);
        return held.Count > 0 ? held[0].Term : -1;
    }

    // The leader appends its entries at the tail through this overload (DotNext's ReplicateAsync,
    // and the no-op DotNext appends when a node becomes leader).
    ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        // An entry of a term other than the log's would break Log Matching: after a newer leader's
        // message raised the term, an entry stamped with the new term could sit at an index where
        // that leader has a different entry of the same term.
        var logTerm = ((IPersistentState)this).Term;
        if (!entry.IsSnapshot && entry.Term != logTerm)
            return ValueTask.FromException<long>(new StaleLeadershipException(entry.Term, logTerm));
        return AppendAsync(entry, token);
    }

    // A snapshot from the leader arrives through this overload (DotNext's InstallSnapshot handler).
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token)
    {
        await AppendAsync(entry, startIndex, token).ConfigureAwait(false);
        if (entry.IsSnapshot && FirstSnapshotAnswerDelayForTests > TimeSpan.Zero && Interlocked.Increment(ref snapshotsAccepted) == 1)
            await Task.Delay(FirstSnapshotAnswerDelayForTests, CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeAsyncCore()
    {
        durable.Dispose();
        return base.DisposeAsyncCore();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            durable.Dispose();
        base.Dispose(disposing);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7105, Level = LogLevel.Warning, Message = "A stale AppendEntries call for entries {From}-{To} arrived after entries up to {Last} were appended; the entries after it were kept")]
        public static partial void StaleAppendKept(ILogger logger, long from, long to, long last);

        [LoggerMessage(EventId = 7106, Level = LogLevel.Information, Message = "The leader's entries replace this log's entries {From}-{Last}, written in an earlier term")]
        public static partial void ConflictReplaced(ILogger logger, long from, long last);
    }
}
