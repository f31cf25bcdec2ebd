namespace ConfigCluster.Client.Configuration;

/// <summary>
/// The provider's view of the cluster: the latest JSON of every loaded key, whether it is
/// secret, and the revision it was made at (so a late, older change never overwrites a newer
/// one). Not thread-safe: the provider guards it.
/// </summary>
internal sealed class ConfigSnapshot
{
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>One key's value.</summary>
    public readonly record struct Entry(string ValueJson, bool Secret, long Revision);

    public int Count => entries.Count;

    public IReadOnlyDictionary<string, Entry> Entries => entries;

    /// <summary>Replaces everything (a full load).</summary>
    public void Replace(IEnumerable<KeyValuePair<string, Entry>> items)
    {
        entries.Clear();
        foreach (var (key, entry) in items)
            entries[key] = entry;
    }

    /// <summary>Sets a key unless a newer revision of it is already held; true when it changed.</summary>
    public bool Set(string key, string valueJson, bool secret, long revision)
    {
        if (entries.TryGetValue(key, out var held) && held.Revision > revision)
            return false;
        entries[key] = new Entry(valueJson, secret, revision);
        return held.ValueJson != valueJson || held.Secret != secret;
    }

    /// <summary>Removes a key unless a newer revision of it is held; true when it was there.</summary>
    public bool Remove(string key, long revision)
        => entries.TryGetValue(key, out var held) && held.Revision <= revision && entries.Remove(key);

    /// <summary>
    /// The configuration entries, keys in ordinal order so collisions resolve the same way every
    /// time. <paramref name="includeSecrets"/> false gives what may be written to disk.
    /// </summary>
    /// <param name="trimPrefix">A key prefix to drop from the names (empty = none).</param>
    public Dictionary<string, string?> ToConfiguration(bool includeSecrets, string trimPrefix = "")
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, entry) in entries.OrderBy(static e => e.Key, StringComparer.Ordinal))
        {
            if (entry.Secret && !includeSecrets)
                continue;
            var name = trimPrefix.Length > 0 && key.StartsWith(trimPrefix, StringComparison.Ordinal) && key.Length > trimPrefix.Length
                ? key[trimPrefix.Length..].TrimStart('.', '/')
                : key;
            ConfigKeyMapper.Add(data, name, entry.ValueJson);
        }

        return data;
    }
}
