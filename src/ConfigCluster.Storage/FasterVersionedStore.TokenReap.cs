using ConfigCluster.Core.Commands;
using ConfigCluster.Storage.Records;
using Google.Protobuf;

namespace ConfigCluster.Storage;

// Expired and revoked tokens do not stay in the store forever.
public sealed partial class FasterVersionedStore
{
    /// <summary>Most tokens one reap removes (and, apart from those, stamps), so one log entry stays small; the leader proposes again while more are due.</summary>
    public const int MaxTokensPerReap = 1000;

    /// <summary>
    /// True when a token expired, or was seen revoked, more than <paramref name="grace"/> before
    /// <paramref name="logNowUnixMs"/> (the reader's log clock), or a revoked token has not been
    /// seen by a reap yet: the leader then proposes a <see cref="ReapTokensOp"/>.
    /// </summary>
    public bool HasTokensToReap(long logNowUnixMs, TimeSpan grace)
        => Volatile.Read(ref current).Metadata.HasTokensToReap(logNowUnixMs - (long)grace.TotalMilliseconds);

    // Judged by the log clock at apply, so every node removes the same tokens. The token, accessor
    // and sequence records get empty values (tombstones: memory, digest and snapshots forget them);
    // the leases the token created are revoked as a revocation would.
    // A revoked token's grace counts from the first reap that sees it (its revocation time is
    // stamped then, not by RevokeTokenOp: that op is older than reaping, and a cluster mid-upgrade
    // must write the same record for it on every node). The leader reaps every few seconds, so
    // the grace starts that much after the revocation.
    private CommandResult ApplyReapTokens(Command command, ReapTokensOp reap)
    {
        if (reap.GraceMs < 0 || reap.MaxTokens is <= 0 or > MaxTokensPerReap)
            return Invalid($"a reap needs a grace of at least 0 ms and 1 to {MaxTokensPerReap} tokens");
        var now = LogNow(command);
        var reaped = current.Metadata.EndedTokens(now - reap.GraceMs, reap.MaxTokens);
        foreach (var token in reaped)
        {
            MarkLeasesOfToken(token.Record.Accessor);
            UpsertMetadata(RecordKeys.Token(token.Hash), []);
            UpsertMetadata(RecordKeys.Accessor(token.Record.Accessor), []);
            UpsertMetadata(RecordKeys.TokenBySequence(token.Sequence), []);
        }

        foreach (var token in current.Metadata.UnseenRevokedTokens(reap.MaxTokens))
        {
            var record = token.Record.Clone();
            record.RevokedSeenUnixMs = now;
            UpsertMetadata(RecordKeys.Token(token.Hash), record.ToByteArray());
        }

        return new CommandResult { Code = ResultCode.ResultOk, Revision = revision, Version = reaped.Count };
    }
}
