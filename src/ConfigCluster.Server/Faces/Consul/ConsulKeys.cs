using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Core.Keys;

namespace ConfigCluster.Server.Faces.Consul;

/// <summary>
/// How a Consul key maps onto a ConfigCluster key: <c>&lt;k&gt;</c> is the key <c>&lt;k&gt;</c> in
/// namespace <c>consul</c>, environment <c>default</c>, unchanged. Keys ConfigCluster cannot hold
/// (characters outside <c>A-Z a-z 0-9 _ - . /</c>, an empty segment, a leading <c>/</c>) are
/// refused with 400. Consul's "folders" (keys ending in <c>/</c>) are not stored: a write of one
/// is refused with 400; they still work as prefixes for <c>?recurse</c> and <c>?keys</c>.
/// </summary>
internal static class ConsulKeys
{
    /// <summary>The namespace that holds the Consul face's keys.</summary>
    public const string Namespace = "consul";

    /// <summary>The environment that holds them.</summary>
    public const string Environment = KeyPath.DefaultScope;

    /// <summary>A key to read or write.</summary>
    public static bool TryKey(string? key, out KeyPath path, [NotNullWhen(false)] out string? error)
    {
        path = default;
        if (string.IsNullOrEmpty(key))
        {
            error = "Missing key name";
            return false;
        }

        if (key.EndsWith('/'))
        {
            error = $"key '{key}' ends in '/': Consul folders are not stored by ConfigCluster; write the keys under it";
            return false;
        }

        if (!KeyPath.TryCreate(Namespace, Environment, key, out path, out var invalid))
        {
            error = $"key '{key}' cannot be stored: {invalid}";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>A prefix for <c>?recurse</c>, <c>?keys</c> and <c>delete-tree</c> ("" = every key).</summary>
    public static bool TryPrefix(string? prefix, [NotNullWhen(false)] out string? error)
    {
        if (KeyPath.TryValidatePrefix(prefix, out var invalid))
        {
            error = null;
            return true;
        }

        error = $"prefix '{prefix}' cannot name ConfigCluster keys: {invalid}";
        return false;
    }
}
