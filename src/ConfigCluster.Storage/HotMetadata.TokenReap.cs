using System.Text;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

// Expired and revoked tokens are reaped (ReapTokensOp); these find them and forget their records.
internal sealed partial class HotMetadata
{
    /// <summary>A token the reaper may remove or stamp: its creation sequence, hash and record.</summary>
    public readonly record struct ReapableToken(long Sequence, byte[] Hash, TokenRecord Record);

    /// <summary>
    /// Tokens that expired, or were seen revoked, at or before <paramref name="endedBy"/> (Unix ms),
    /// in creation order (the same on every node), at most <paramref name="max"/>.
    /// </summary>
    public List<ReapableToken> EndedTokens(long endedBy, int max) => InCreationOrder(record => EndedBy(record, endedBy), max);

    /// <summary>Revoked tokens no reap has seen yet (no revocation time), in creation order, at most <paramref name="max"/>.</summary>
    public List<ReapableToken> UnseenRevokedTokens(int max) => InCreationOrder(static record => UnseenRevoked(record), max);

    /// <summary>True when a reap has work: a token ended at or before <paramref name="endedBy"/> (Unix ms), or a revoked one not seen yet.</summary>
    public bool HasTokensToReap(long endedBy)
    {
        foreach (var entry in tokens.Values)
        {
            if (EndedBy(entry.Record, endedBy) || UnseenRevoked(entry.Record))
                return true;
        }

        return false;
    }

    private static bool EndedBy(TokenRecord record, long endedBy)
        => (record.ExpiresUnixMs > 0 && record.ExpiresUnixMs <= endedBy)
           || (record.Revoked && record.RevokedSeenUnixMs > 0 && record.RevokedSeenUnixMs <= endedBy);

    private static bool UnseenRevoked(TokenRecord record) => record.Revoked && record.RevokedSeenUnixMs == 0;

    private List<ReapableToken> InCreationOrder(Func<TokenRecord, bool> match, int max)
    {
        var found = new List<ReapableToken>();
        foreach (var sequence in tokenSequence.Keys.Order())
        {
            if (found.Count >= max)
                break;
            if (tokenSequence.TryGetValue(sequence, out var hash) && FindToken(hash) is { } entry && match(entry.Record))
                found.Add(new ReapableToken(sequence, hash, entry.Record));
        }

        return found;
    }

    // An empty value under a token, accessor or sequence key: the token was reaped.
    private void ForgetToken(ReadOnlySpan<byte> key)
    {
        switch (key[0])
        {
            case RecordKeys.TokenTag when key.Length == 1 + TokenHashKey.Size:
                tokens.TryRemove(TokenHashKey.From(key[1..]), out _);
                break;
            case RecordKeys.AccessorTag:
                accessors.TryRemove(Encoding.UTF8.GetString(key[1..]), out _);
                break;
            case RecordKeys.TokenSequenceTag when key.Length == 9:
                tokenSequence.TryRemove(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(key[1..]), out _);
                break;
        }
    }
}
