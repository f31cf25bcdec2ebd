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

    /// <summary>Definitely did not take effect (refused, not applied, compare-and-set mismatch).</summary>
    Failed,

    /// <summary>May or may not have taken effect (timeout, ambiguous write, connection lost mid-call).</summary>
    Ambiguous,
}

/// <summary>
/// One recorded operation. Times are monotonic ticks. For a write or successful
/// compare-and-set <see cref="Version"/> is the version the store gave it; for a read, the
/// version and value read. A compare-and-set that failed on a version mismatch is recorded as
/// <see cref="Outcome.Failed"/> with <see cref="Mismatch"/> set: it is an observation too
/// (the version was not <see cref="Expected"/> at some point in its interval).
/// </summary>
public sealed record Operation(int Client, string Key, OpKind Kind, string? Value, long Expected, long Invoked, long Completed, Outcome Outcome, long Version, string? ReadValue, bool Mismatch = false)
{
    public bool IsAmbiguous => Outcome == Outcome.Ambiguous;
}
