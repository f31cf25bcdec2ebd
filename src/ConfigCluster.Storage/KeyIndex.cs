namespace ConfigCluster.Storage;

/// <summary>
/// Ordered set of every key the store holds (as <c>ns \0 env \0 key</c>), for prefix listing.
/// FASTER has no ordered iteration (and its <c>Iterate</c> is unreliable in 2.6.5), so the store
/// keeps this itself, saves it with each checkpoint (<see cref="Snapshots.StartupImage"/>) and
/// rebuilds it from that and the log after it at open. Keys are never removed: a deleted
/// key keeps its history.
/// </summary>
internal sealed class KeyIndex
{
    private readonly SortedSet<string> keys = new(StringComparer.Ordinal);
    private readonly ReaderWriterLockSlim gate = new();
    private long estimatedBytes;

    // A key's cost on the heap: the string (header, length, UTF-16 chars) and its tree node.
    private const int BytesPerKey = 24 + 48;

    public int Count
    {
        get
        {
            gate.EnterReadLock();
            try { return keys.Count; }
            finally { gate.ExitReadLock(); }
        }
    }

    /// <summary>
    /// The index's estimated heap size, counted against the store's memory budget (the store
    /// leaves that much of FASTER's in-memory log empty).
    /// </summary>
    public long EstimatedBytes => Interlocked.Read(ref estimatedBytes);

    public void Add(string composite)
    {
        gate.EnterWriteLock();
        try
        {
            if (keys.Add(composite))
                Interlocked.Add(ref estimatedBytes, BytesPerKey + 2L * composite.Length);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    public void Clear()
    {
        gate.EnterWriteLock();
        try
        {
            keys.Clear();
            Interlocked.Exchange(ref estimatedBytes, 0);
        }
        finally
        {
            gate.ExitWriteLock();
        }
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
