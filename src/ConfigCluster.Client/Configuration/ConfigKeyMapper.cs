using System.Globalization;
using System.Text.Json;

namespace ConfigCluster.Client.Configuration;

/// <summary>
/// Maps ConfigCluster keys and JSON values to <c>IConfiguration</c> entries: <c>database.host</c>
/// becomes <c>database:host</c>; strings are taken as they are, numbers and booleans as their
/// text, objects and arrays are flattened (<c>hosts:0</c>, <c>limits:max</c>).
/// </summary>
public static class ConfigKeyMapper
{
    public static string ToConfigurationKey(string key) => key.Replace('.', ':');

    public static void Add(IDictionary<string, string?> data, string key, string valueJson)
    {
        using var document = JsonDocument.Parse(valueJson);
        Add(data, ToConfigurationKey(key), document.RootElement);
    }

    private static void Add(IDictionary<string, string?> data, string path, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    Add(data, $"{path}:{property.Name}", property.Value);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    Add(data, $"{path}:{(index++).ToString(CultureInfo.InvariantCulture)}", item);
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
