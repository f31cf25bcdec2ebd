using ConfigCluster.Consensus;
using ConfigCluster.Core.Commands;
using ConfigCluster.Server.Application;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application.Tests;

/// <summary>
/// Consensus replaced by a local log: each submitted command is applied to the store at the
/// next index, as a one-node cluster would, and recorded. A test may queue results to answer
/// instead of applying (a stale-view refusal, an unknown code).
/// </summary>
internal sealed class LocalLog(IVersionedStore store) : ICommandSubmitter
{
    private readonly Queue<CommandResult> forced = new();
    private long index = store.AppliedIndex;

    /// <summary>Every command submitted, in order (applied or answered from the queue).</summary>
    public List<Command> Submitted { get; } = [];

    /// <summary>The next submission is answered with <paramref name="result"/> and not applied.</summary>
    public void Answer(CommandResult result) => forced.Enqueue(result);

    public Task<Outcome<CommandResult>> SubmitAsync(Command command, CancellationToken token)
    {
        Submitted.Add(command.Clone());
        var result = forced.TryDequeue(out var answer) ? answer : ApplyDirect(command);
        return Task.FromResult(Outcome<CommandResult>.From(result));
    }

    /// <summary>Told of every command applied, as the node's state machine tells its observers (a change feed).</summary>
    public IApplyObserver? Observer { get; set; }

    /// <summary>Applies a command as the log would, bypassing the pipeline (test setup).</summary>
    public CommandResult ApplyDirect(Command command)
    {
        var result = store.Apply(command, ++index, 1);
        Observer?.OnApplied(command, result, index);
        return result;
    }
}

/// <summary>A read barrier that is always current and counts how often it was asked.</summary>
internal sealed class CountingBarrier : IReadBarrier
{
    public int Waits { get; private set; }

    public Task<ConfigError?> WaitAsync(ReadConsistency consistency, CancellationToken token)
    {
        if (consistency == ReadConsistency.Linearizable)
            Waits++;
        return Task.FromResult<ConfigError?>(null);
    }
}
