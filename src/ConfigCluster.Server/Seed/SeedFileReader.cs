using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConfigCluster.Core.Keys;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ConfigCluster.Server.Seed;

/// <summary>One key of a seed file and its value as compact JSON text.</summary>
public sealed record SeedEntry(string Key, string ValueJson);

/// <summary>
/// Reads a JSON or YAML seed file and flattens nested objects into dot keys
/// (<c>{"database": {"host": "db"}}</c> → <c>database.host = "db"</c>). Arrays and scalars are
/// values; YAML scalars written without quotes become numbers, booleans or null when they read as such.
/// </summary>
public static class SeedFileReader
{
    /// <exception cref="InvalidDataException">The file is not valid JSON/YAML, its root is not an object, or a key is invalid.</exception>
    public static IReadOnlyList<SeedEntry> Read(string file)
    {
        var text = File.ReadAllText(file);
        var isJson = Path.GetExtension(file).Equals(".json", StringComparison.OrdinalIgnoreCase);
        var root = isJson ? ParseJson(text) : ParseYaml(text);
        if (root is not JsonObject rootObject)
            throw new InvalidDataException("the seed file's root must be an object (a mapping of keys)");

        var entries = new List<SeedEntry>();
        Flatten(rootObject, prefix: "", entries);
        return entries;
    }

    private static void Flatten(JsonObject node, string prefix, List<SeedEntry> entries)
    {
        foreach (var (name, value) in node)
        {
            var key = prefix.Length == 0 ? name : prefix + "." + name;
            if (value is JsonObject child && child.Count > 0)
            {
                Flatten(child, key, entries);
                continue;
            }

            if (!KeyPath.TryValidateKey(key, out var error))
                throw new InvalidDataException(error);
            entries.Add(new SeedEntry(key, value?.ToJsonString() ?? "null"));
        }
    }

    private static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not valid JSON: {e.Message}", e);
        }
    }

    private static JsonNode? ParseYaml(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"not valid YAML: {e.Message}", e);
        }

        return stream.Documents.Count == 0 ? new JsonObject() : ToJson(stream.Documents[0].RootNode);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(pair =>
            KeyValuePair.Create(((YamlScalarNode)pair.Key).Value ?? "", ToJson(pair.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => ToJsonScalar(scalar),
        _ => throw new InvalidDataException($"unsupported YAML node at {node.Start}"),
    };

    private static JsonNode? ToJsonScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
            return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL")
            return null;
        if (value is "true" or "True" or "TRUE")
            return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE")
            return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return JsonValue.Create(integer);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
            return JsonValue.Create(real);
        return JsonValue.Create(value);
    }
}
