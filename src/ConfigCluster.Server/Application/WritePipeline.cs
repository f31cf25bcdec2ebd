using ConfigCluster.Core.Commands;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Application;

/// <summary>
/// The one way a write reaches the log, whichever edge it came through: a command stamped with
/// this node's time and the caller, submitted to consensus, its result code mapped to an error,
/// and, when the store says it was built from a stale view, rebuilt on a caught-up node and
/// submitted again.
/// </summary>
public sealed class WritePipeline(ICommandSubmitter submitter, IReadBarrier barrier, TimeProvider clock)
{
    /// <summary>Author recorded on versions written without a known caller (internal writes such as the seed import).</summary>
    public const string AnonymousAuthor = "anonymous";

    /// <summary>How often a write built from a stale view (see <see cref="ResultCode.ResultRetry"/>) is rebuilt.</summary>
    public const int MaxRebuilds = 5;

    /// <summary>Builds a command stamped with this node's time and the caller's name.</summary>
    /// <param name="requestId">A client-chosen id remembered for deduplication; null means none.</param>
    public Command NewCommand(string? requestId) => new()
    {
        RequestId = requestId ?? "",
        TimestampUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        Author = Acl.CallerIdentity.Current?.Name ?? AnonymousAuthor,
    };

    /// <summary>
    /// Builds a command with <paramref name="build"/> and commits it; a command the store refuses
    /// as stale is rebuilt (after a read barrier) up to <see cref="MaxRebuilds"/> times.
    /// </summary>
    public async Task<Outcome<CommandResult>> SubmitAsync(Func<CancellationToken, Task<Outcome<Command>>> build, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(build);
        for (var attempt = 0; ; attempt++)
        {
            var built = await build(token);
            if (built.Error is { } buildError)
                return buildError;
            var outcome = await SubmitOnceAsync(built.Value!, token);
            if (outcome.Error is not { Code: ConfigErrorCode.Retry } || attempt >= MaxRebuilds)
                return outcome;
            // Rebuild from the state that made the store refuse it.
            if (await barrier.WaitAsync(ReadConsistency.Linearizable, token) is { } barrierError)
                return barrierError;
        }
    }

    /// <summary>Commits a command that needs no rebuilding; a result other than success comes back as its error.</summary>
    public async Task<Outcome<CommandResult>> SubmitOnceAsync(Command command, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.RequestId.Length > FasterVersionedStore.MaxRequestIdLength)
            return new ConfigError(ConfigErrorCode.InvalidArgument, $"request id is longer than {FasterVersionedStore.MaxRequestIdLength} characters");
        var outcome = await submitter.SubmitAsync(command, token);
        if (outcome.Error is { } error)
            return error;
        return WriteResults.ToError(outcome.Value!) is { } refused ? refused : outcome;
    }

    /// <summary>Commits a command and hands back its result as applied, whatever its code (for callers that read codes themselves).</summary>
    public Task<Outcome<CommandResult>> SubmitRawAsync(Command command, CancellationToken token) => submitter.SubmitAsync(command, token);

    /// <summary>Waits until this node has applied everything committed so far.</summary>
    public Task<ConfigError?> CatchUpAsync(CancellationToken token) => barrier.WaitAsync(ReadConsistency.Linearizable, token);
}
