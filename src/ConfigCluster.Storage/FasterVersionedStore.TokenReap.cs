using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

// wip/tls: expired tokens do not stay in the store forever.
public sealed partial class FasterVersionedStore
{
    /// <summary>Most tokens one reap removes, so one log entry stays small; the leader proposes again while more are due.</summary>
    public const int MaxTokensPerReap = 1000;

    /// <summary>
    /// True when a token expired more than <paramref name="grace"/> before <paramref name="logNowUnixMs"/>
    /// (the reader's log clock): the leader then proposes a <see cref="ReapTokensOp"/>.
    /// </summary>
    public bool HasTokensToReap(long logNowUnixMs, TimeSpan grace)
        => Volatile.Read(ref current).Metadata.HasExpiredTokens(logNowUnixMs - (long)grace.TotalMilliseconds);

    // Judged by the log clock at apply, so every node removes the same tokens. The token, accessor
    // and sequence records get empty values (tombstones: memory, digest and snapshots forget them);
    // the leases the token created are revoked as a revocation would.
    private CommandResult ApplyReapTokens(Command command, ReapTokensOp reap)
    {
        if (reap.GraceMs < 0 || reap.MaxTokens is <= 0 or > MaxTokensPerReap)
            return Invalid($"a reap needs a grace of at least 0 ms and 1 to {MaxTokensPerReap} tokens");
        var expiredBy = LogNow(command) - reap.GraceMs;
        var reaped = current.Metadata.ExpiredTokens(expiredBy, reap.MaxTokens);
        foreach (var token in reaped)
        {
            MarkLeasesOfToken(token.Record.Accessor);
            UpsertMetadata(RecordKeys.Token(token.Hash), []);
            UpsertMetadata(RecordKeys.Accessor(token.Record.Accessor), []);
            UpsertMetadata(RecordKeys.TokenBySequence(token.Sequence), []);
        }

        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Version = reaped.Count };
    }
}
