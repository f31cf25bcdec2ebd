using System.Text;
using ConfigCluster.Storage.Records;

namespace ConfigCluster.Storage;

// wip/tls: expired tokens are reaped (ReapTokensOp); these find them and forget their records.
internal sealed partial class HotMetadata
{
    /// <summary>A token the reaper may remove: its creation sequence, hash and record.</summary>
    public readonly record struct ReapableToken(long Sequence, byte[] Hash, TokenRecord Record);

    /// <summary>
    /// Tokens that expired at or before <paramref name="expiredBy"/> (Unix ms), in creation order
    /// (the same on every node), at most <paramref name="max"/>.
    /// </summary>
    public List<ReapableToken> ExpiredTokens(long expiredBy, int max)
    {
        var found = new List<ReapableToken>();
        foreach (var sequence in tokenSequence.Keys.Order())
        {
            if (found.Count >= max)
                break;
            if (tokenSequence.TryGetValue(sequence, out var hash) && FindToken(hash) is { } entry
                && entry.Record.ExpiresUnixMs > 0 && entry.Record.ExpiresUnixMs <= expiredBy)
                found.Add(new ReapableToken(sequence, hash, entry.Record));
        }

        return found;
    }

    /// <summary>True when some token expired at or before <paramref name="expiredBy"/> (Unix ms).</summary>
    public bool HasExpiredTokens(long expiredBy)
    {
        foreach (var entry in tokens.Values)
        {
            if (entry.Record.ExpiresUnixMs > 0 && entry.Record.ExpiresUnixMs <= expiredBy)
                return true;
        }

        return false;
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
