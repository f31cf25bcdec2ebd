using ConfigCluster.Core.Keys;

namespace ConfigCluster.Storage;

public sealed partial class FasterVersionedStore
{
    // The request-path reads. For now they complete synchronously over the blocking reads;
    // the storage work of issue 13 replaces them with FASTER's asynchronous reads.

    /// <inheritdoc/>
    public ValueTask<StoredVersion?> GetAsync(KeyPath path, long version, CancellationToken token)
        => ValueTask.FromResult(Get(path, version));

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredVersion>> GetChangesAsync(long atRevision, CancellationToken token)
        => ValueTask.FromResult(GetChanges(atRevision));

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<StoredVersion>> HistoryAsync(KeyPath path, CancellationToken token)
        => ValueTask.FromResult(History(path));

    /// <inheritdoc/>
    public ValueTask<ListPage> ListAsync(string ns, string env, string prefix, string? after, int limit, bool includeDeleted, CancellationToken token)
        => ValueTask.FromResult(List(ns, env, prefix, after, limit, includeDeleted));
}
