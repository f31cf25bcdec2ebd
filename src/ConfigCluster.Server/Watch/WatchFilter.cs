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

    public bool Matches(StoredVersion change)
    {
        if (change.Path.Namespace != Namespace)
            return false;
        if (Key is not null ? change.Path.Key != Key : !change.Path.Key.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var depth = IndexOf(change.Path.Environment);
        if (depth < 0)
            return false;

        // An inherited change is hidden by an override (or mask) in a nearer environment.
        for (var i = 0; i < depth && store is not null; i++)
        {
            if (KeyPath.TryCreate(Namespace, Chain[i], change.Path.Key, out var nearer, out _)
                && store.Get(nearer) is { } head && (!head.IsDeletion || head.Operation == VersionKind.Mask))
                return false;
        }

        return true;
    }

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

        ns = string.IsNullOrEmpty(ns) ? KeyPath.DefaultScope : ns;
        env = string.IsNullOrEmpty(env) ? KeyPath.DefaultScope : env;
        if (!KeyPath.TryValidateScope(ns, "namespace", out error) || !KeyPath.TryValidateScope(env, "environment", out error))
            return false;
        if (!string.IsNullOrEmpty(key) ? !KeyPath.TryValidateKey(key, out error) : !KeyPath.TryValidatePrefix(prefix, out error))
            return false;
        filter = new WatchFilter(ns, env, string.IsNullOrEmpty(key) ? null : key, prefix ?? "", store.InheritanceChain(ns, env), store);
        return true;
    }
}
