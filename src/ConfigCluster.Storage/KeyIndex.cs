namespace ConfigCluster.Storage;

/// <summary>
/// Ordered set of every key the store holds (as <c>ns \0 env \0 key</c>), for prefix listing.
/// FASTER has no ordered iteration (and its <c>Iterate</c> is unreliable in 2.6.5), so the store
/// keeps this itself and rebuilds it from a log scan at open. Keys are never removed: a deleted
/// key keeps its history.
/// </summary>
internal sealed class KeyIndex
{
    private readonly SortedSet<string> keys = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim gate = new();

    public int Count
    {
        get
        {
            gate.EnterReadLock();
            try { return keys.Count; }
            finally { gate.ExitReadLock(); }
        }
    }

    public void Add(string composite)
    {
        gate.EnterWriteLock();
        try { keys.Add(composite); }
        finally { gate.ExitWriteLock(); }
    }

    public void Clear()
    {
        gate.EnterWriteLock();
        try { keys.Clear(); }
        finally { gate.ExitWriteLock(); }
    }

    /// <summary>Up to <paramref name="max"/> keys in <c>[from, upTo)</c>, in order.</summary>
    public List<string> Range(string from, string upTo, int max)
    {
        var result = new List<string>(Math.Min(max, 256));
        gate.EnterReadLock();
        try
        {
            if (keys.Count == 0 || string.CompareOrdinal(from, upTo) >= 0)
                return result;
            foreach (var key in keys.GetViewBetween(from, upTo))
            {
                if (string.CompareOrdinal(key, upTo) >= 0)
                    break;
                result.Add(key);
                if (result.Count == max)
                    break;
            }
        }
        finally
        {
            gate.ExitReadLock();
        }

        return result;
    }

    /// <summary>A copy of every key, in order.</summary>
    public List<string> Snapshot()
    {
        gate.EnterReadLock();
        try { return [.. keys]; }
        finally { gate.ExitReadLock(); }
    }
}
