using ConfigCluster.Core.Commands;

namespace ConfigCluster.Consensus;

/// <summary>
/// Travels with a proposed entry through DotNext (<c>LogEntry.Context</c>) to the leader's
/// apply, which records each command's result in it, in the entry's command order.
/// </summary>
internal sealed class ProposalContext(int commands)
{
    public CommandResult?[] Results { get; } = new CommandResult?[commands];

    /// <summary>The term the entry was proposed in; apply fills <see cref="Results"/> only for an entry of this term.</summary>
    public long Term { get; set; }

    /// <summary>The entry's log index, set when the leader applies it.</summary>
    public long Index { get; set; }
}
