using System.Collections.Concurrent;
using System.Text;

namespace ConfigCluster.Storage;

internal sealed partial class HotMetadata
{
    // Metadata records whose newest value is empty. The digest treats them as absent, but some
    // readers do not (a deleted policy's record still exists), so the start-up image keeps them.
    private readonly ConcurrentDictionary<string, bool> emptyRecords = new(StringComparer.Ordinal);

    private void NoteEmpty(string name, bool empty)
    {
        if (empty)
            emptyRecords[name] = true;
        else
            emptyRecords.TryRemove(name, out _);
    }

    /// <summary>
    /// Every metadata record as it now stands, empty ones included, as (key, value) bytes: what a
    /// scan of the log would have passed to <see cref="Observe"/> last for each key. Observing them
    /// again, in any order, rebuilds this projection (each record only sets its own entry).
    /// </summary>
    public List<(byte[] Key, byte[] Value)> RecordsForImage()
    {
        var records = new List<(byte[], byte[])>(rawRecords.Count + emptyRecords.Count);
        foreach (var (name, value) in rawRecords)
            records.Add((Encoding.Latin1.GetBytes(name), value));
        foreach (var name in emptyRecords.Keys)
            records.Add((Encoding.Latin1.GetBytes(name), []));
        return records;
    }
}
