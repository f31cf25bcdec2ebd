namespace ConfigCluster.Core.Commands;

/// <summary>
/// Which command formats this build understands, so a rolling upgrade never makes replicas
/// disagree silently. Every command carries the format it needs (<see cref="Command.Format"/>,
/// stamped by the leader). A node that meets a command of a newer format than it supports stops
/// applying (loudly) instead of skipping it; the leader proposes a command only when every member
/// announces support for its format, so a new kind of operation switches on once the whole cluster
/// runs the release that brought it.
/// </summary>
public static class CommandFormat
{
    /// <summary>The first release's operations: keys, change-sets, keyring, environments, tokens, policies, retention, audit checkpoints.</summary>
    public const uint Initial = 1;

    /// <summary>The newest format this build applies (operations added after the first release need it).</summary>
    public const uint Supported = 2;

    /// <summary>The format <paramref name="command"/> needs: the first release's operations need <see cref="Initial"/>, every later one (and a token with bound networks or a period) <see cref="Supported"/>.</summary>
    public static uint Required(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        // A token bound to networks or periodic: a first-release build would ignore those fields
        // and accept the token from anywhere, or expire it differently.
        if (command.OpCase == Command.OpOneofCase.CreateToken && (command.CreateToken.BoundCidrs.Count > 0 || command.CreateToken.PeriodMs > 0))
            return Supported;
        return command.OpCase switch
        {
            Command.OpOneofCase.Put or Command.OpOneofCase.Delete or Command.OpOneofCase.Rollback or Command.OpOneofCase.AddDataKey
                or Command.OpOneofCase.Rewrap or Command.OpOneofCase.ChangeSet or Command.OpOneofCase.SetEnvironment
                or Command.OpOneofCase.CreateToken or Command.OpOneofCase.RevokeToken or Command.OpOneofCase.PutPolicy
                or Command.OpOneofCase.DeletePolicy or Command.OpOneofCase.Checkpoint or Command.OpOneofCase.SetRetention
                or Command.OpOneofCase.Compact or Command.OpOneofCase.AuditCheckpoint => Initial,
            _ => Supported,
        };
    }

    /// <summary>The format a logged command declares (commands written before formats existed declare none: <see cref="Initial"/>).</summary>
    public static uint Of(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Format == 0 ? Initial : command.Format;
    }

    /// <summary>Whether this build can apply <paramref name="command"/>.</summary>
    public static bool CanApply(Command command) => Of(command) <= Supported;
}
