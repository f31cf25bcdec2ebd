using System.Diagnostics.CodeAnalysis;
using ConfigCluster.Core.Commands;

namespace ConfigCluster.Core.Keys;

/// <summary>
/// The identity of a key: namespace, environment and dot-separated key
/// (<c>database.host</c>). Construct through <see cref="TryCreate"/> so every instance is valid.
/// </summary>
public readonly record struct KeyPath
{
    /// <summary>The namespace and environment used when a caller names none.</summary>
    public const string DefaultScope = "default";

    /// <summary>Longest key accepted, in characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>Longest namespace or environment name accepted, in characters.</summary>
    public const int MaxScopeLength = 64;

    private KeyPath(string ns, string env, string key)
    {
        Namespace = ns;
        Environment = env;
        Key = key;
    }

    public string Namespace { get; }

    public string Environment { get; }

    public string Key { get; }

    /// <summary>
    /// Validates and builds a key path; empty namespace or environment mean <c>default</c>.
    /// </summary>
    /// <param name="error">Why the input was rejected, phrased for the caller.</param>
    public static bool TryCreate(string? ns, string? env, string? key, out KeyPath path, [NotNullWhen(false)] out string? error)
    {
        path = default;
        ns = string.IsNullOrEmpty(ns) ? DefaultScope : ns;
        env = string.IsNullOrEmpty(env) ? DefaultScope : env;
        if (!TryValidateScope(ns, "namespace", out error) || !TryValidateScope(env, "environment", out error))
            return false;
        if (!TryValidateKey(key, out error))
            return false;
        path = new KeyPath(ns, env, key!);
        return true;
    }

    /// <summary>Checks a namespace or environment name: 1–64 of <c>a-z 0-9 _ -</c>.</summary>
    public static bool TryValidateScope(string value, string what, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (value.Length > MaxScopeLength)
            error = $"{what} is longer than {MaxScopeLength} characters";
        else if (!value.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
            error = $"{what} '{value}' may contain only lowercase letters, digits, '_' and '-'";
        return error is null;
    }

    /// <summary>
    /// Checks a key: 1–256 characters, non-empty segments of <c>A-Z a-z 0-9 _ -</c> separated by
    /// <c>.</c> (ConfigCluster's own keys, <c>database.host</c>) or <c>/</c> (the paths that the
    /// Vault and Consul faces store as they are, <c>secret/llm/openai</c>).
    /// </summary>
    public static bool TryValidateKey(string? key, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(key))
            error = "key must not be empty";
        else if (key.Length > MaxKeyLength)
            error = $"key is longer than {MaxKeyLength} characters";
        else if (IsSeparator(key[0]) || IsSeparator(key[^1]) || HasEmptySegment(key))
            error = $"key '{key}' has an empty segment (keys look like 'database.host' or 'app/database')";
        else if (!key.All(IsKeyChar))
            error = $"key '{key}' may contain only letters, digits, '_', '-', '.' and '/'";
        return error is null;
    }

    /// <summary>Checks a listing prefix: like a key, but may be empty or end with a (single) separator.</summary>
    public static bool TryValidatePrefix(string? prefix, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(prefix))
            return true;
        if (prefix.Length > MaxKeyLength)
            error = $"prefix is longer than {MaxKeyLength} characters";
        else if (IsSeparator(prefix[0]) || HasEmptySegment(prefix))
            error = $"prefix '{prefix}' has an empty segment (prefixes look like 'database.', 'app/' or 'data')";
        else if (!prefix.All(IsKeyChar))
            error = $"prefix '{prefix}' may contain only letters, digits, '_', '-', '.' and '/'";
        return error is null;
    }

    private static bool IsKeyChar(char c)
        => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.' or '/';

    private static bool IsSeparator(char c) => c is '.' or '/';

    private static bool HasEmptySegment(string text)
    {
        for (var i = 1; i < text.Length; i++)
        {
            if (IsSeparator(text[i]) && IsSeparator(text[i - 1]))
                return true;
        }

        return false;
    }

    /// <summary>Builds the command form of this path.</summary>
    public StoreKey ToStoreKey() => new() { Namespace = Namespace, Environment = Environment, Key = Key };

    /// <summary>Reads a path back from a command, validating it again (apply must not trust input).</summary>
    public static bool TryFrom(StoreKey? key, out KeyPath path, [NotNullWhen(false)] out string? error)
    {
        if (key is null)
        {
            path = default;
            error = "command has no key";
            return false;
        }

        return TryCreate(key.Namespace, key.Environment, key.Key, out path, out error);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Namespace}/{Environment}/{Key}";
}
