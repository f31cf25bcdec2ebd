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
/// implementation) and awaits <see cref="WriteAheadLog.FlushAsync"/> after the
/// append: in 6.12 that msyncs (MS_SYNC) the data and metadata pages up to the last appended entry
/// and then writes the checkpoint (commit index, last index) through an O_SYNC handle, so the
/// entries the follower acknowledges survive a power loss and are recovered at start.
/// </para>
/// <para>
/// Group commit: one AppendEntries call carries every entry the leader had ready (the leader
/// appends concurrent proposals meanwhile), and the flush covers all of them with one pair of
/// msync calls. DotNext runs one flusher; concurrent <c>FlushAsync</c> callers share its rounds,
/// which is how the leader's own flush (<see cref="RaftNode"/>) groups concurrent proposals.
/// </para>
/// <para>
/// Heartbeats (no entries) only move the commit index and are not synced here; the background
/// flusher handles them as before.
/// </para>
/// </remarks>
internal sealed class DurableWriteAheadLog(WriteAheadLog.Options options, IStateMachine stateMachine, DurabilityMode durability)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    /// <summary>Whether appends are synced before they are acknowledged.</summary>
    public DurabilityMode Durability => durability;

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(
        ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        var appending = entries.RemainingCount > 0;
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        if (appending && durability == DurabilityMode.Fsync)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await FlushAsync(token).ConfigureAwait(false);
            ConsensusMeters.SyncDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
