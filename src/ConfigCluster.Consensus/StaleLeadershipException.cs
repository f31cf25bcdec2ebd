namespace ConfigCluster.Consensus;

/// <summary>
/// A leader's entry was refused before it was appended: the log's term had moved past the term
/// this node leads in (a newer leader's message arrived, and DotNext had not yet left its leader state).
/// Nothing was appended, so the proposal did not happen.
/// </summary>
public sealed class StaleLeadershipException(long entryTerm, long logTerm)
    : InvalidOperationException($"the entry's term {entryTerm} is not the log's term {logTerm}: this node no longer leads")
{
    /// <summary>The term the entry was stamped with (the term this node led in).</summary>
    public long EntryTerm { get; } = entryTerm;

    /// <summary>The log's term when the entry was refused.</summary>
    public long LogTerm { get; } = logTerm;
}
