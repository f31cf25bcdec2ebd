using ConfigCluster.Core.Commands;

namespace ConfigCluster.Consensus;

/// <summary>
/// Travels with a proposed entry through DotNext (<c>LogEntry.Context</c>) to the leader's
/// apply, which records the command's result in it.
/// </summary>
internal sealed class ProposalContext
{
    public CommandResult? Result { get; set; }
}
