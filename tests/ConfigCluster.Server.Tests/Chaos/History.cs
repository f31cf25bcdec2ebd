namespace ConfigCluster.Server.Tests.Chaos;

/// <summary>What kind of operation a client performed on a key (a register with versions).</summary>
public enum OpKind
{
    Write,
    CompareAndSet,
    Read,
}

/// <summary>How an operation ended.</summary>
public enum Outcome
{
    /// <summary>Acknowledged: it happened, with the recorded result.</summary>
    Ok,

    /// <summary>
    /// The client was told it did not take effect (refused, unavailable, compare-and-set
    /// mismatch); <see cref="Operation.Error"/> names the error. A failed write that later turns
    /// out applied is a violation, not an uncertainty.
    /// </summary>
    Failed,

    /// <summary>
    /// May or may not have taken effect: only a timeout or an answer the cluster marked ambiguous.
    /// </summary>
    Ambiguous,
}

/// <summary>
/// One recorded operation. Times are monotonic ticks. For a write or successful
/// compare-and-set <see cref="Version"/> is the version the store gave it; for a read, the
/// version and value read. A compare-and-set that failed on a version mismatch is recorded as
/// <see cref="Outcome.Failed"/> with <see cref="Mismatch"/> set: it is an observation too
/// (the version was not <see cref="Expected"/> at some point in its interval).
/// <see cref="Error"/> names the client error of an operation that did not succeed.
/// </summary>
public sealed record Operation(int Client, string Key, OpKind Kind, string? Value, long Expected, long Invoked, long Completed, Outcome Outcome, long Version, string? ReadValue, bool Mismatch = false, string? Error = null)
{
    public bool IsAmbiguous => Outcome == Outcome.Ambiguous;

    public bool IsWrite => Kind != OpKind.Read;

    public override string ToString() => Kind switch
    {
        OpKind.Read => $"client {Client} read {Key} -> {(Outcome == Outcome.Ok ? $"v{Version} {ReadValue ?? "(absent)"}" : Outcome + " " + Error)} [{Invoked}..{Completed}]",
        OpKind.CompareAndSet => $"client {Client} cas {Key} expecting v{Expected} := {Value} -> {Describe()} [{Invoked}..{Completed}]",
        _ => $"client {Client} write {Key} := {Value} -> {Describe()} [{Invoked}..{Completed}]",
    };

    private string Describe() => Outcome == Outcome.Ok ? $"v{Version}" : $"{Outcome} ({Error})";
}
