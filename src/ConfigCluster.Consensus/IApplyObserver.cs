using ConfigCluster.Core.Commands;

namespace ConfigCluster.Consensus;

/// <summary>
/// Told of every change this node applies, in log order, on the apply thread. Implementations
/// (the watch feed) must be quick and must not throw.
/// </summary>
public interface IApplyObserver
{
    /// <summary>
    /// The observer was attached between two applied entries, with the store at
    /// <paramref name="revision"/>: every change after it is reported, none before it. The WAL
    /// starts replaying at construction, so the store may have moved on since the observer was built.
    /// </summary>
    void OnAttached(long revision);

    /// <summary>A command was applied at <paramref name="index"/> with <paramref name="result"/>.</summary>
    void OnApplied(Command command, CommandResult result, long index);

    /// <summary>The whole state was replaced by a snapshot holding everything up to <paramref name="index"/>.</summary>
    void OnSnapshotInstalled(long index, long revision);
}
