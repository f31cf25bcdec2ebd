using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConfigCluster.Cli;

/// <summary><c>ccctl import FILE</c> and <c>ccctl export [PREFIX] --format json|yaml|env</c>.</summary>
internal static class ImportExportCommands
{
    public static Command Import()
    {
        var file = new Argument<string>("file") { Description = "JSON, YAML or .env; nested objects become dot keys" };
        var command = new Command("import", "write every key of a file; keys already equal are left alone") { file };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            // Keys whose value already matches are left alone; the rest go in as one change-set
            // (per 500 keys), each guarded by the version just read.
            var items = new List<ConfigCluster.Contracts.V1.ChangeSetItem>();
            var unchanged = 0;
            foreach (var (key, json) in FlatFile.Read(parse.GetValue(file)!))
            {
                long expected = 0;
                try
                {
                    var current = await client.GetAsync(key, token: token);
                    if (current.ValueJson == json)
                    {
                        unchanged++;
                        continue;
                    }

                    expected = current.Version;
                }
                catch (ConfigCluster.Client.ConfigNotFoundException)
                {
                    expected = 0;
                }

                items.Add(new ConfigCluster.Contracts.V1.ChangeSetItem { Path = new ConfigCluster.Contracts.V1.KeyPath { Key = key }, ValueJson = json, ExpectedVersion = expected });
            }

            foreach (var chunk in items.Chunk(500))
                await client.ApplyChangeSetAsync(chunk, $"import {Path.GetFileName(parse.GetValue(file))}", token);
            Console.WriteLine($"{items.Count} written, {unchanged} unchanged");
        }));
        return command;
    }

    public static Command Export()
    {
        var prefix = new Argument<string>("prefix") { DefaultValueFactory = _ => "" };
        var format = new Option<string>("--format") { DefaultValueFactory = _ => "json", Description = "json, yaml or env" };
        var command = new Command("export", "print keys under a prefix as JSON, YAML or .env (secret values are not exported)") { prefix, format };
        command.SetAction(Run.With(async (parse, client, token) =>
        {
            var items = await client.ListAsync(parse.GetValue(prefix)!, token: token);
            var values = items.Where(static i => i.ValueJson.Length > 0).ToDictionary(static i => i.Path.Key, static i => i.ValueJson, StringComparer.Ordinal);
            Console.Write(FlatFile.Write(values, parse.GetValue(format)!));
        }));
        return command;
    }
}

/// <summary>Flattens JSON/YAML/.env files to dot keys with JSON values, and writes them back out.</summary>
internal static class FlatFile
{
    public static IReadOnlyList<(string Key, string Json)> Read(string path)
    {
        var text = File.ReadAllText(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var result = new List<(string, string)>();
        if (extension == ".env" || Path.GetFileName(path).StartsWith(".env", StringComparison.Ordinal))
        {
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#') || line.IndexOf('=', StringComparison.Ordinal) is not (> 0 and var eq))
                    continue;
                var key = line[..eq].Trim().ToLowerInvariant().Replace("__", ".", StringComparison.Ordinal).Replace('_', '.');
                var value = line[(eq + 1)..].Trim().Trim('"');
                result.Add((key, ValueText.ToJson(value)));
            }

            return result;
        }

        var root = extension == ".json" ? JsonNode.Parse(text) : YamlToJson(text);
        if (root is not JsonObject rootObject)
            throw new InvalidDataException("the file's root must be an object");
        Flatten(rootObject, "", result);
        return result;
    }

    private static void Flatten(JsonObject node, string prefix, List<(string, string)> into)
    {
        foreach (var (name, value) in node)
        {
            var key = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (value is JsonObject child && child.Count > 0)
                Flatten(child, key, into);
            else
                into.Add((key, value?.ToJsonString() ?? "null"));
        }
    }

    private static JsonNode? YamlToJson(string text)
    {
        var graph = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize(new StringReader(text));
        var json = new YamlDotNet.Serialization.SerializerBuilder().JsonCompatible().Build().Serialize(graph);
        return JsonNode.Parse(json);
    }

    public static string Write(IReadOnlyDictionary<string, string> values, string format)
    {
        switch (format)
        {
            case "env":
                return string.Concat(values.Select(static kv => $"{kv.Key.ToUpperInvariant().Replace('.', '_')}={Plain(kv.Value)}\n"));
            case "yaml":
                return string.Concat(values.Select(static kv => $"{kv.Key}: {kv.Value}\n"));
            case "json":
                var obj = new JsonObject();
                foreach (var (key, json) in values)
                    obj[key] = JsonNode.Parse(json);
                return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
            default:
                throw new ArgumentException($"--format must be json, yaml or env, not '{format}'");
        }
    }

    private static string Plain(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString()! : json;
    }
}
