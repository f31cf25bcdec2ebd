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
internal sealed partial class DurableWriteAheadLog : WriteAheadLog, IAuditTrail<IRaftLogEntry>, IAuditTrail
{
    private readonly DurableIndexWatcher durable;
    private readonly DurabilityMode durability;

    private DurableWriteAheadLog(Options options, IStateMachine stateMachine, DurabilityMode durability, DurableIndexWatcher durable)
        : base(options, stateMachine)
    {
        this.durable = durable;
        this.durability = durability;
        durable.Flushed = OnOwnFlush;
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

    /// <summary>
    /// Raised on a follower after an AppendEntries call's entries are appended (and, with
    /// <see cref="DurabilityMode.Fsync"/>, synced): the last index the call covered and its term.
    /// </summary>
    public event Action<long, long>? Appended;

    /// <summary>The leader's commit rule for 4+ members (null: DotNext's index stands, as in unit tests of the log alone).</summary>
    public MajorityCommitRule? CommitRule { get; set; }

    /// <summary>The Raft endpoints of the other voting members, as the member list names them (the followers a leader counts).</summary>
    public Func<IReadOnlyList<string>> Followers { get; set; } = static () => [];

    // An index known to hold an entry of its term (entries after it are of that term too).
    private TermEntry? knownTermEntry;

    private sealed record TermEntry(long Term, long Index);

    private readonly SemaphoreSlim commitGate = new(1, 1);

    /// <summary>Whether appends are synced before they are acknowledged.</summary>
    public DurabilityMode Durability => durability;

    /// <summary>How often a wait for the disk was settled by the fallback instead of the flusher's notification (0 while they work).</summary>
    public long DurableFallbacks => durable.FallbackReleases;

    /// <summary>Completes when the state machine halts its apply for good (see <c>StoreStateMachine.FormatGate.cs</c>); never, if unset.</summary>
    public Task ApplyHalted { get; set; } = new TaskCompletionSource().Task;

    /// <summary>
    /// Verifies the log and waits until the committed entries are applied, as DotNext's does, but
    /// only until apply halts: a halted apply never reaches them, and this is called on start (by
    /// the node and again by DotNext's cluster), which would then never end.
    /// </summary>
    public override async Task InitializeAsync(CancellationToken token = default)
    {
        var replayed = base.InitializeAsync(token);
        await Task.WhenAny(replayed, ApplyHalted).ConfigureAwait(false);
        if (replayed.IsCompleted)
            await replayed.ConfigureAwait(false);
        else
            _ = replayed.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

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
        var termAtStart = ((IPersistentState)this).Term;
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

        // The call passed the consistency check in this term, so this log matches the leader's up
        // to lastCovered, and that is on disk: what a leader of 4+ members counts (MajorityCommitRule).
        if (((IPersistentState)this).Term == termAtStart)
            Appended?.Invoke(lastCovered, termAtStart);
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

    // DotNext's leader commits the index its replication round computed, and a follower the
    // leader's commit index, through this method. On the leader the index is clamped to Raft's rule.
    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token) => CommitClampedAsync(endIndex, token);

    /// <summary>On the leader, after a follower's report: commits what a majority now holds (nothing on a follower).</summary>
    public ValueTask<long> CommitReportedAsync(CancellationToken token)
        => CommitRule is { Term: >= 0 } ? CommitClampedAsync(LastEntryIndex, token) : ValueTask.FromResult(0L);

    // One commit at a time: DotNext's commit waits on single-waiter events (its flush wait), built for
    // its leader loop as the only caller; reports and flushes commit too (CI sim 2026-12-07: a leader
    // of 5 crashed with two commits awaiting one AsyncAutoResetEventSlim).
    private async ValueTask<long> CommitClampedAsync(long endIndex, CancellationToken token)
    {
        await commitGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var allowed = await LeaderCommitLimitAsync(endIndex, token).ConfigureAwait(false);
            return allowed > LastCommittedEntryIndex ? await CommitAsync(allowed, token).ConfigureAwait(false) : 0L;
        }
        finally
        {
            commitGate.Release();
        }
    }

    // A leader of 4+ members counts its own synced index too: a flush can complete a majority.
    private void OnOwnFlush()
    {
        if (CommitRule is { Term: >= 0 } && Followers().Count + 1 >= MajorityCommitRule.SmallestClusterCounted)
            _ = CommitAfterFlushAsync();
    }

    private async Task CommitAfterFlushAsync()
    {
        try
        {
            await CommitReportedAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or InvalidOperationException or IOException)
        {
            // Shutting down, or the log moved on meanwhile (the next report or round commits).
        }
    }

    /// <summary>
    /// The most of <paramref name="endIndex"/> a leader may commit: what a majority holds on disk
    /// (<see cref="MajorityCommitRule"/>, clusters of 4+), and only if the entry there is of the
    /// leader's term (Raft §5.4.2: an earlier term's entry is committed only under one of the
    /// current term). On a follower, <paramref name="endIndex"/> as the leader sent it.
    /// </summary>
    private async ValueTask<long> LeaderCommitLimitAsync(long endIndex, CancellationToken token)
    {
        if (CommitRule is not { } rule || rule.Term is var term && term < 0)
        {
            // A follower's commit (the leader's index), or the last round of a leader that has
            // just stepped down, whose replication token DotNext cancelled: that one commits nothing.
            token.ThrowIfCancellationRequested();
            return endIndex;
        }

        var own = durability == DurabilityMode.Fsync ? durable.DurableIndex : LastEntryIndex;
        var allowed = Math.Min(Math.Min(endIndex, LastEntryIndex), rule.MajorityIndex(Followers(), own));
        if (allowed <= LastCommittedEntryIndex)
            return allowed;
        if (Volatile.Read(ref knownTermEntry) is { } known && known.Term == term && allowed >= known.Index)
            return allowed;
        if (await TermAtAsync(allowed, token).ConfigureAwait(false) != term)
            return LastCommittedEntryIndex;
        Volatile.Write(ref knownTermEntry, new TermEntry(term, allowed));
        return allowed;
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
