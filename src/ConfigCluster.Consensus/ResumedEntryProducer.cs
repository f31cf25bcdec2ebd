using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace ConfigCluster.Consensus;

/// <summary>
/// The rest of an AppendEntries stream from an entry already read: yields <c>first</c> (the
/// current entry of <c>rest</c>), then whatever <c>rest</c> still holds. Lets the follower look at
/// the leading entries of a stream before it hands the remainder to DotNext's append.
/// </summary>
internal sealed class ResumedEntryProducer<TEntry>(ILogEntryProducer<TEntry> rest) : ILogEntryProducer<TEntry>
    where TEntry : IRaftLogEntry
{
    private bool started;

    public TEntry Current => rest.Current;

    public long RemainingCount => rest.RemainingCount + (started ? 0 : 1);

    public ValueTask<bool> MoveNextAsync()
    {
        if (started)
            return rest.MoveNextAsync();
        started = true;
        return ValueTask.FromResult(true);
    }

    // The stream belongs to DotNext's handler, which disposes it.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
