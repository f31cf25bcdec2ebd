using ConfigCluster.Core.Keys;

namespace ConfigCluster.Storage;

/// <summary>
/// Walks the key index for one page of a prefix listing. Deleted keys may be skipped, so the
/// index is read in batches until the page is full; the caller reads each key's head (either
/// synchronously or asynchronously) and adds what it keeps to <see cref="Items"/>.
/// </summary>
internal sealed class ListCursor
{
    private readonly KeyIndex index;
    private readonly string ns;
    private readonly string env;
    private readonly string scope;
    private readonly string upTo;
    private readonly int limit;
    private string from;
    private string? last;
    private int unvisited;
    private bool exhausted;

    public ListCursor(KeyIndex index, string ns, string env, string prefix, string? after, int limit)
    {
        this.index = index;
        this.ns = ns;
        this.env = env;
        this.limit = limit;
        scope = $"{ns}\0{env}\0";
        from = scope + prefix;
        if (!string.IsNullOrEmpty(after) && string.CompareOrdinal(scope + after + "\0", from) > 0)
            from = scope + after + "\0";
        upTo = scope + prefix + char.MaxValue;
        Items = new List<StoredVersion>(Math.Min(limit, 256));
    }

    /// <summary>The page so far.</summary>
    public List<StoredVersion> Items { get; }

    /// <summary>True once the page holds <c>limit</c> items.</summary>
    public bool Full => Items.Count >= limit;

    /// <summary>The next keys to look at (a key that is not a valid path comes with a null path), or null when the page is done.</summary>
    public List<(string Key, KeyPath? Path)>? NextBatch()
    {
        if (Full)
            return null;
        var batch = index.Range(from, upTo, limit - Items.Count + 1);
        if (batch.Count == 0)
        {
            exhausted = true;
            return null;
        }

        from = batch[^1] + "\0";
        unvisited = batch.Count;
        var keys = new List<(string, KeyPath?)>(batch.Count);
        foreach (var composite in batch)
        {
            var key = composite[scope.Length..];
            keys.Add((key, KeyPath.TryCreate(ns, env, key, out var path, out _) ? path : null));
        }

        return keys;
    }

    /// <summary>Records that <paramref name="key"/> was looked at (whether or not it was kept).</summary>
    public void Visited(string key)
    {
        last = key;
        unvisited--;
    }

    /// <summary>The page: its items, and where the next page starts when more keys follow.</summary>
    public ListPage Page()
        => new(Items, !exhausted && (unvisited > 0 || index.Range(from, upTo, 1).Count > 0) ? last : null);
}
