using System.Globalization;
using System.Text.Json;

namespace ConfigCluster.Client.Configuration;

/// <summary>
/// Maps ConfigCluster keys and JSON values to <c>IConfiguration</c> entries: <c>database.host</c>
/// becomes <c>database:host</c>; a JSON string becomes its text, numbers and booleans their JSON
/// text, <c>null</c> a null entry, and objects and arrays are flattened into sub-keys
/// (<c>limits:max</c>, <c>hosts:0</c>); an empty object or array becomes a null entry, as with
/// the JSON file provider.
/// </summary>
public static class ConfigKeyMapper
{
    /// <summary><c>database.host</c> → <c>database:host</c>; slash paths too (<c>secret/llm/openai</c> → <c>secret:llm:openai</c>).</summary>
    public static string ToConfigurationKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Replace('.', ':').Replace('/', ':');
    }

    /// <summary><c>database:host</c> → <c>database.host</c>.</summary>
    public static string ToClusterKey(string configurationKey)
    {
        ArgumentNullException.ThrowIfNull(configurationKey);
        return configurationKey.Replace(ConfigurationPathSeparator, '.');
    }

    /// <summary>Adds the entries of one key's JSON value under its configuration key. Text that is not JSON is taken as a string.</summary>
    public static void Add(IDictionary<string, string?> data, string key, string valueJson)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(valueJson);
        var path = ToConfigurationKey(key);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(valueJson);
        }
        catch (JsonException)
        {
            data[path] = valueJson;
            return;
        }

        using (document)
            Add(data, path, document.RootElement);
    }

    /// <summary>The entries one key's JSON value becomes.</summary>
    public static IReadOnlyDictionary<string, string?> Flatten(string key, string valueJson)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Add(data, key, valueJson);
        return data;
    }

    private const char ConfigurationPathSeparator = ':';

    private static void Add(IDictionary<string, string?> data, string path, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = 0;
                foreach (var property in element.EnumerateObject())
                {
                    Add(data, $"{path}:{property.Name}", property.Value);
                    properties++;
                }

                if (properties == 0)
                    data[path] = null; // as the JSON file provider does: the section exists, empty
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    Add(data, $"{path}:{(index++).ToString(CultureInfo.InvariantCulture)}", item);
                if (index == 0)
                    data[path] = null;
                break;
            case JsonValueKind.String:
                data[path] = element.GetString();
                break;
            case JsonValueKind.Null:
                data[path] = null;
                break;
            default:
                data[path] = element.GetRawText();
                break;
        }
    }
}
