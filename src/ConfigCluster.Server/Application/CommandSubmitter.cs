using ConfigCluster.Core.Commands;

namespace ConfigCluster.Server.Application;

/// <summary>Gets a command committed by the cluster and returns its apply result (the consensus step of a write).</summary>
public interface ICommandSubmitter
{
    /// <summary>Commits <paramref name="command"/>; an error only when it was not (or may not have been) applied.</summary>
    Task<Outcome<CommandResult>> SubmitAsync(Command command, CancellationToken token);
}

/// <summary>Submits through <see cref="WriteCoordinator"/> (propose locally or forward to the leader).</summary>
public sealed class ConsensusSubmitter(WriteCoordinator writes) : ICommandSubmitter
{
    /// <inheritdoc/>
    public Task<Outcome<CommandResult>> SubmitAsync(Command command, CancellationToken token) => writes.SubmitAsync(command, token);
}
