namespace ConfigCluster.Server.Acl;

/// <summary>Matches names against patterns where <c>*</c> stands for any run of characters (<c>auth.*</c>, <c>*</c>).</summary>
public static class GlobPattern
{
    public static bool IsMatch(string pattern, string value)
    {
        if (pattern.Length == 0 || pattern == "*")
            return true;
        var parts = pattern.Split('*');
        if (parts.Length == 1)
            return string.Equals(pattern, value, StringComparison.Ordinal);
        if (!value.StartsWith(parts[0], StringComparison.Ordinal))
            return false;
        var position = parts[0].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = value.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0)
                return false;
            position = found + parts[i].Length;
        }

        var last = parts[^1];
        return value.Length - position >= last.Length && value.EndsWith(last, StringComparison.Ordinal);
    }
}
