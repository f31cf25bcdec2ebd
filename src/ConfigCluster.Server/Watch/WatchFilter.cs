using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Core.Keys;
using ConfigCluster.Storage;

namespace ConfigCluster.Server.Watch;

/// <summary>What a watcher wants: one key, or every key under a prefix, in one namespace and environment.</summary>
public sealed record WatchFilter(string Namespace, string Environment, string? Key, string Prefix)
{
    public bool Matches(StoredVersion change)
        => change.Path.Namespace == Namespace
           && change.Path.Environment == Environment
           && (Key is not null ? change.Path.Key == Key : change.Path.Key.StartsWith(Prefix, StringComparison.Ordinal));

    /// <summary>Validates the parts of a watch request; exactly one of key or prefix may be set.</summary>
    public static bool TryCreate(string? ns, string? env, string? key, string? prefix, [NotNullWhen(true)] out WatchFilter? filter, [NotNullWhen(false)] out string? error)
    {
        filter = null;
        if (!string.IsNullOrEmpty(key) && !string.IsNullOrEmpty(prefix))
        {
            error = "give a key or a prefix, not both";
            return false;
        }

        if (!string.IsNullOrEmpty(key))
        {
            if (!KeyPath.TryCreate(ns, env, key, out var path, out error))
                return false;
            filter = new WatchFilter(path.Namespace, path.Environment, path.Key, "");
            return true;
        }

        ns = string.IsNullOrEmpty(ns) ? KeyPath.DefaultScope : ns;
        env = string.IsNullOrEmpty(env) ? KeyPath.DefaultScope : env;
        if (!KeyPath.TryValidateScope(ns, "namespace", out error) || !KeyPath.TryValidateScope(env, "environment", out error)
            || !KeyPath.TryValidatePrefix(prefix, out error))
            return false;
        filter = new WatchFilter(ns, env, null, prefix ?? "");
        return true;
    }
}
