using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Acl;
using ConfigCluster.Server.Application;
using ConfigCluster.Server.Watch;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>
/// Consul KV over the store: reads (one key, a tree, key names), writes of raw bytes with flags
/// and check-and-set on Consul's ModifyIndex, and blocking queries. Consul's indexes are the
/// store's global revisions: ModifyIndex is the revision of a key's latest version, CreateIndex
/// the revision at which it was (re)created, X-Consul-Index the newest revision of what was read.
/// </summary>
internal sealed partial class ConsulKv(ConfigService config, ItemAccess access, ChangeFeed feed)
{
    /// <summary>Longest blocking wait (Consul's own limit); the default when none is given is 5 minutes.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10), DefaultWait = TimeSpan.FromMinutes(5);

    private IVersionedStore Store => config.Store;

    /// <summary>The latest version of a key (a tombstone when deleted), or null when it never existed.</summary>
    public async Task<StoredVersion?> HeadAsync(KeyPath path, CancellationToken token) => await Store.GetAsync(path, 0, token);

    /// <summary>One key's live entry, with a secret opened (the caller holds read on it); null when absent.</summary>
    public async Task<Outcome<ConsulEntry?>> GetAsync(KeyPath path, ReadConsistency consistency, CancellationToken token)
    {
        var outcome = await config.GetAsync(path, 0, consistency, token);
        if (outcome.Error is { Code: ConfigErrorCode.NotFound })
            return Outcome<ConsulEntry?>.From(null);
        if (outcome.Error is { } error)
            return error;
        var found = outcome.Value!;
        return new ConsulEntry(path.Key, found.Flags, found.Value.ToArray(), found.CreateRevision, found.Revision);
    }

    /// <summary>
    /// Every key under <paramref name="prefix"/> (latest versions, tombstones included so the index
    /// covers deletions), in key order. The caller filters what it may see.
    /// </summary>
    public async Task<IReadOnlyList<StoredVersion>> TreeAsync(string prefix, bool includeDeleted, CancellationToken token)
    {
        var all = new List<StoredVersion>();
        string? after = null;
        do
        {
            var page = await Store.ListAsync(ConsulKeys.Namespace, ConsulKeys.Environment, prefix, after, ConfigService.MaxListLimit, includeDeleted, token);
            all.AddRange(page.Items);
            after = page.NextAfter;
        }
        while (after is not null);
        return all;
    }

    /// <summary>Null when the current caller may do every item; else a refusal (audited).</summary>
    public Task<ConfigError?> RequireAsync(string operation, IEnumerable<ItemAccessRequest> items, CancellationToken token) => access.RequireAsync(operation, items, token);

    /// <summary>Waits until this node has applied everything committed so far.</summary>
    public Task<ConfigError?> CatchUpAsync(CancellationToken token) => config.CatchUpAsync(token);

    /// <summary>Whether the current caller may have <paramref name="capability"/> on a key (for filtering trees).</summary>
    public bool Allows(Capability capability, string key) => access.Allows(capability, ConsulKeys.Namespace, ConsulKeys.Environment, key);

    /// <summary>
    /// X-Consul-Index for one key or a prefix: the newest revision among them (deletions
    /// included); when none ever existed, the store's revision (never 0: Consul clients treat 0
    /// as "no index").
    /// </summary>
    public async Task<(long Own, long Reported)> IndexAsync(KeyPath? path, string? prefix, CancellationToken token)
    {
        long own = 0;
        if (path is { } key)
            own = (await HeadAsync(key, token))?.Revision ?? 0;
        else
        {
            foreach (var version in await TreeAsync(prefix ?? "", includeDeleted: true, token))
                own = Math.Max(own, version.Revision);
        }

        return (own, own > 0 ? own : Math.Max(1, Store.Revision));
    }

    /// <summary>
    /// A blocking query: returns once the key's (or prefix's) index passes <paramref name="index"/>
    /// or <paramref name="wait"/> runs out; then the caller reads and answers the current state.
    /// </summary>
    public async Task WaitAsync(KeyPath? path, string? prefix, long index, TimeSpan wait, ReadConsistency consistency, CancellationToken token)
    {
        // Subscribe before looking, so a change between the look and the wait is not missed.
        var filter = path is { } key ? WatchFilter.Exact(key)
            : WatchFilter.TryCreate(Store, ConsulKeys.Namespace, ConsulKeys.Environment, null, prefix, out var prefixFilter, out _) ? prefixFilter : null;
        if (filter is null)
            return;
        using var subscription = feed.Subscribe(filter);
        if (consistency == ReadConsistency.Linearizable)
            await config.CatchUpAsync(token); // a failed barrier shows up again on the read that follows
        if ((await IndexAsync(path, prefix, token)).Own > index)
            return;

        var due = feed.DueAfter(wait);
        try
        {
            while (true)
            {
                while (subscription.TryRead(out var change))
                {
                    if (change.Revision > index)
                        return;
                }

                subscription.ThrowIfEnded();
                if (feed.HasPassed(due))
                    break; // the wait ran out: the caller answers with the current state
                await subscription.WaitAsync(due, token);
            }
        }
        catch (WatchEndedException)
        {
            // The feed ended (snapshot install, shutdown): answer with the current state.
        }
    }

    /// <summary>
    /// PUT: stores the bytes. <paramref name="cas"/> 0 writes only when the key is absent; N only
    /// when its ModifyIndex is N. False when the condition does not hold (nothing changes).
    /// </summary>
    public async Task<Outcome<bool>> PutAsync(KeyPath path, byte[] value, ulong flags, long? cas, CancellationToken token)
    {
        long? expected = null;
        if (cas is { } index)
        {
            var condition = await ExpectedVersionAsync(path, index, token);
            if (condition.Error is { } error)
                return error;
            if (condition.Value is not { } version)
                return false;
            expected = version;
        }

        var outcome = await config.PutBytesAsync(path, value, flags, expected, requestId: null, token);
        return outcome.Error switch
        {
            null => true,
            { Code: ConfigErrorCode.VersionMismatch } => false,
            { } error => error,
        };
    }

    /// <summary>DELETE of one key: true also when it is absent (as Consul answers); with <paramref name="cas"/>, false unless its ModifyIndex matches.</summary>
    public async Task<Outcome<bool>> DeleteAsync(KeyPath path, long? cas, CancellationToken token)
    {
        long? expected = null;
        if (cas is { } index)
        {
            var condition = await ExpectedVersionAsync(path, index, token);
            if (condition.Error is { } error)
                return error;
            if (condition.Value is not { } version)
                return false;
            if (version == 0)
                return true; // cas=0 on an absent key: nothing to delete
            expected = version;
        }

        var outcome = await config.DeleteAsync(path, expected, requestId: null, token);
        return outcome.Error switch
        {
            null or { Code: ConfigErrorCode.NotFound } => true,
            { Code: ConfigErrorCode.VersionMismatch } => false,
            { } error => error,
        };
    }

    // Consul's cas=N as ConfigCluster's expected version, read after a barrier: 0 when N is 0 and
    // the key is absent; the key's version when N is its ModifyIndex; null when the condition
    // already fails. A version has exactly one revision, so checking the version at apply time
    // checks the ModifyIndex.
    private async Task<Outcome<long?>> ExpectedVersionAsync(KeyPath path, long cas, CancellationToken token)
    {
        if (cas < 0)
            return new ConfigError(ConfigErrorCode.InvalidArgument, "cas must be 0 or more");
        if (await config.CatchUpAsync(token) is { } error)
            return error;
        var head = await HeadAsync(path, token);
        var live = head is { IsDeletion: false };
        if (cas == 0)
            return live ? Outcome<long?>.From(null) : 0L;
        return live && head!.Revision == cas ? head.Version : Outcome<long?>.From(null);
    }
}
