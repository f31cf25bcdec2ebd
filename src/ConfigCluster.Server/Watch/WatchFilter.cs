using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>
/// What a watcher wants: one key, or every key under a prefix, in one namespace and the
/// effective view of one environment. A change in an environment it inherits from matches only
/// while no nearer environment of the chain overrides (or masks) that key.
/// </summary>
public sealed class WatchFilter
{
    private readonly IVersionedStore? store;

    private WatchFilter(string ns, string env, string? key, string prefix, IReadOnlyList<string> chain, IVersionedStore? store)
    {
        Namespace = ns;
        Environment = env;
        Key = key;
        Prefix = prefix;
        Chain = chain;
        this.store = store;
    }

    public string Namespace { get; }

    public string Environment { get; }

    public string? Key { get; }

    public string Prefix { get; }

    /// <summary>The watched environment followed by its ancestors.</summary>
    public IReadOnlyList<string> Chain { get; }

    /// <summary>A filter on exactly one environment (no inheritance), e.g. for long-polls of a stored key.</summary>
    public static WatchFilter Exact(KeyPath path) => new(path.Namespace, path.Environment, path.Key, "", [path.Environment], null);

    /// <summary>Whether a change belongs to the watched view (on the apply path: the store's synchronous read).</summary>
    public bool Matches(StoredVersion change)
    {
        var depth = Depth(change);
        for (var i = 0; i < depth; i++)
        {
            if (Nearer(i, change) is { } nearer && Overrides(store!.Get(nearer)))
                return false;
        }

        return depth >= 0;
    }

    /// <summary><see cref="Matches"/> for request paths (a watch's replay): the overrides are read asynchronously.</summary>
    public async ValueTask<bool> MatchesAsync(StoredVersion change, CancellationToken token)
    {
        var depth = Depth(change);
        for (var i = 0; i < depth; i++)
        {
            if (Nearer(i, change) is { } nearer && Overrides(await store!.GetAsync(nearer, 0, token)))
                return false;
        }

        return depth >= 0;
    }

    // -1 when the change is outside the watched key or prefix and chain; else how many nearer
    // environments could override it (0 without a store to look in: an exact filter).
    private int Depth(StoredVersion change)
    {
        if (change.Path.Namespace != Namespace)
            return -1;
        if (Key is not null ? change.Path.Key != Key : !change.Path.Key.StartsWith(Prefix, StringComparison.Ordinal))
            return -1;
        var depth = IndexOf(change.Path.Environment);
        return depth > 0 && store is null ? 0 : depth;
    }

    private KeyPath? Nearer(int index, StoredVersion change)
        => KeyPath.TryCreate(Namespace, Chain[index], change.Path.Key, out var nearer, out _) ? nearer : null;

    // An inherited change is hidden by a live value (or a mask) in a nearer environment.
    private static bool Overrides(StoredVersion? head) => head is { } h && (!h.IsDeletion || h.Operation == VersionKind.Mask);

    private int IndexOf(string env)
    {
        for (var i = 0; i < Chain.Count; i++)
        {
            if (Chain[i] == env)
                return i;
        }

        return -1;
    }

    /// <summary>Validates a watch request; exactly one of key or prefix may be set.</summary>
    public static bool TryCreate(IVersionedStore store, string? ns, string? env, string? key, string? prefix, [NotNullWhen(true)] out WatchFilter? filter, [NotNullWhen(false)] out string? error)
    {
        filter = null;
        if (!string.IsNullOrEmpty(key) && !string.IsNullOrEmpty(prefix))
        {
            error = "give a key or a prefix, not both";
            return false;
        }

        ns = Application.Scopes.OrDefault(ns);
        env = Application.Scopes.OrDefault(env);
        if (!KeyPath.TryValidateScope(ns, "namespace", out error) || !KeyPath.TryValidateScope(env, "environment", out error))
            return false;
        if (!string.IsNullOrEmpty(key) ? !KeyPath.TryValidateKey(key, out error) : !KeyPath.TryValidatePrefix(prefix, out error))
            return false;
        filter = new WatchFilter(ns, env, string.IsNullOrEmpty(key) ? null : key, prefix ?? "", store.InheritanceChain(ns, env), store);
        return true;
    }
}
