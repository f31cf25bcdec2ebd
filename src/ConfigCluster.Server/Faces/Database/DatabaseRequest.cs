using System.Text.Json;

namespace ConfigCluster.Server.Faces.Database;

/// <summary>Reads the database engine's request fields as Vault accepts them.</summary>
internal static class DatabaseRequest
{
    /// <summary>An optional string; false when present but not a string.</summary>
    public static bool TryString(JsonElement root, string name, out string? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind != JsonValueKind.String)
            return false;
        value = element.GetString();
        return true;
    }

    /// <summary>
    /// An optional list of strings: a JSON array of strings, or one string (for statements: one
    /// statement; with <paramref name="commaSeparated"/>, names separated by commas, as Vault's CLI sends them).
    /// </summary>
    public static bool TryList(JsonElement root, string name, bool commaSeparated, out List<string> values)
    {
        values = [];
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            return true;
        if (element.ValueKind == JsonValueKind.String)
        {
            var text = element.GetString()!;
            if (commaSeparated)
                values.AddRange(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            else if (text.Trim().Length > 0)
                values.Add(text);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
            return false;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                return false;
            if (item.GetString() is { Length: > 0 } text && text.Trim().Length > 0)
                values.Add(commaSeparated ? text.Trim() : text);
        }

        return true;
    }
}
