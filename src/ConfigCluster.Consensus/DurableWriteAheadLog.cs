using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

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
internal sealed class DurableWriteAheadLog(WriteAheadLog.Options options, IStateMachine stateMachine, DurabilityMode durability)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    private readonly DurableIndexWatcher durable = new(options.Location);

    /// <summary>Whether appends are synced before they are acknowledged.</summary>
    public DurabilityMode Durability => durability;

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
        var appending = entries.RemainingCount > 0;
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        if (appending && durability == DurabilityMode.Fsync)
            await WaitDurableAsync(LastEntryIndex, token).ConfigureAwait(false);
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
}
