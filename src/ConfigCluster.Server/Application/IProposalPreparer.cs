using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Application;

/// <summary>
/// Completes a command on the leader, just before it is proposed (whether it was accepted there
/// or forwarded by a follower): what must be drawn once, at proposal time, and never in apply
/// (which stays deterministic), such as new transit key material.
/// </summary>
public interface IProposalPreparer
{
    /// <summary>Fills what the command still lacks; leaves anything already filled as it is.</summary>
    void Prepare(Command command);
}
